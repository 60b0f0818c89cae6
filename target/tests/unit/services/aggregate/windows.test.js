'use strict';

const { tumblingWindow } = require('../../../../services/aggregate/src/windows/tumbling');
const { hoppingWindows } = require('../../../../services/aggregate/src/windows/hopping');
const { placeInSession } = require('../../../../services/aggregate/src/windows/session');
const { isDue } = require('../../../../services/aggregate/src/windows/trigger');
const { isClosedForEvents, expiresAt } = require('../../../../services/aggregate/src/windows/manager');

const MIN = 60_000;
const T = Date.UTC(2024, 4, 1, 12, 0, 0); // 12:00:00.000, a minute boundary

describe('tumbling windows are half-open [start, end)', () => {
  test('an event exactly on a minute boundary opens that minute', () => {
    expect(tumblingWindow(T, MIN)).toEqual({ start: T, end: T + MIN });
    expect(tumblingWindow(60_000, 60_000)).toEqual({ start: 60_000, end: 120_000 });
  });

  test('the last millisecond of a minute stays in it', () => {
    expect(tumblingWindow(T - 1, MIN)).toEqual({ start: T - MIN, end: T });
  });

  test('events inside a window, early and late in it, land in that window', () => {
    for (const offset of [1, 1_000, 29_999, 30_000, 30_001, 45_000, 59_998]) {
      expect(tumblingWindow(T + offset, MIN)).toEqual({ start: T, end: T + MIN });
    }
  });

  test('epoch zero and the first window of the epoch', () => {
    expect(tumblingWindow(0, 1000)).toEqual({ start: 0, end: 1000 });
    expect(tumblingWindow(999, 1000)).toEqual({ start: 0, end: 1000 });
  });

  test('counting a minute of events per window: the boundary event counts in the window it opens', () => {
    const counts = new Map();
    for (const ts of [T - 1, T, T + 1, T + MIN - 1, T + MIN]) {
      const { start } = tumblingWindow(ts, MIN);
      counts.set(start, (counts.get(start) || 0) + 1);
    }
    expect([...counts.entries()].sort((a, b) => a[0] - b[0])).toEqual([[T - MIN, 1], [T, 3], [T + MIN, 1]]);
  });
});

describe('hopping windows', () => {
  test('size 5000, advance 3000: an event at 5000 is only in [3000, 8000)', () => {
    expect(hoppingWindows(5000, 5000, 3000)).toEqual([{ start: 3000, end: 8000 }]);
  });

  test('an event on an advance boundary is in the windows that contain it and no window that ended at it', () => {
    // size 60 s, advance 15 s: an event at 60 000 is in [15000,75000) … [60000,120000)
    const starts = hoppingWindows(60_000, 60_000, 15_000).map((w) => w.start).sort((a, b) => a - b);
    expect(starts).toEqual([15_000, 30_000, 45_000, 60_000]);
  });

  test('every window returned contains the event, and every window that contains it is returned', () => {
    for (const ts of [0, 1, 2999, 3000, 4999, 5000, 5001, 6000, 9000, 12_345]) {
      const got = hoppingWindows(ts, 5000, 3000);
      for (const w of got) expect(w.start <= ts && ts < w.end).toBe(true);
      const expected = [];
      for (let s = Math.floor((ts - 5000) / 3000) * 3000; s <= ts; s += 3000) if (ts < s + 5000) expected.push(s);
      expect(got.map((w) => w.start).sort((a, b) => a - b)).toEqual(expected);
    }
  });

  test('an event strictly between boundaries is in ceil(size/advance) windows', () => {
    expect(hoppingWindows(7_500, 10_000, 5_000)).toHaveLength(2);
    expect(hoppingWindows(7_500, 10_000, 2_500)).toHaveLength(4);
  });

  test('with advance = size hopping windows are the tumbling ones', () => {
    for (const ts of [0, 59_999, 60_000, 90_000]) expect(hoppingWindows(ts, MIN, MIN)).toEqual([tumblingWindow(ts, MIN)]);
  });
});

describe('session windows', () => {
  test('an event alone opens [ts, ts + gap)', () => {
    expect(placeInSession([], 1000, 10_000)).toEqual({ window: { start: 1000, end: 11_000 }, absorbed: [] });
  });

  test('an event inside a session extends it', () => {
    const { window, absorbed } = placeInSession([{ start: 0, end: 10_000 }], 4000, 10_000);
    expect(window).toEqual({ start: 0, end: 14_000 });
    expect(absorbed).toEqual([{ start: 0, end: 10_000 }]);
  });

  test('gap 10 s, events at 0 and 15 s, then 8 s: the bridging event makes one session [0, 25 s)', () => {
    const sessions = [{ start: 0, end: 10_000 }, { start: 15_000, end: 25_000 }];
    const { window, absorbed } = placeInSession(sessions, 8_000, 10_000);
    expect(window).toEqual({ start: 0, end: 25_000 });
    expect(absorbed).toHaveLength(2);
  });

  test('one event can bridge three sessions', () => {
    const sessions = [{ start: 12_000, end: 16_000 }, { start: 0, end: 10_000 }, { start: 17_000, end: 21_000 }];
    const { window, absorbed } = placeInSession(sessions, 9_000, 10_000);
    expect(window).toEqual({ start: 0, end: 21_000 });
    expect(absorbed.map((s) => s.start).sort((a, b) => a - b)).toEqual([0, 12_000, 17_000]);
  });

  test('sessions that do not overlap the event are left alone', () => {
    const sessions = [{ start: 0, end: 10_000 }, { start: 50_000, end: 60_000 }];
    const { window, absorbed } = placeInSession(sessions, 20_000, 10_000);
    expect(window).toEqual({ start: 20_000, end: 30_000 });
    expect(absorbed).toEqual([]);
  });
});

describe('triggers', () => {
  const w = { start: 0, end: 60_000 };

  test('a window is due once the watermark reaches its end', () => {
    expect(isDue(w, 60_000)).toBe(true);
    expect(isDue(w, 60_001)).toBe(true);
  });

  test('a window is not due before the watermark reaches its end', () => {
    expect(isDue(w, 59_999)).toBe(false);
    expect(isDue(w, 0)).toBe(false);
  });
});

describe('allowed lateness', () => {
  const w = { start: 0, end: 60_000 };

  test('an event for a closed window within the lateness still updates it', () => {
    expect(isClosedForEvents(w, 70_000, 30_000)).toBe(false);
    expect(isClosedForEvents(w, 89_999, 30_000)).toBe(false);
  });

  test('the window stops accepting events once the watermark reaches end + lateness', () => {
    expect(isClosedForEvents(w, 90_000, 30_000)).toBe(true);
    expect(isClosedForEvents(w, 120_000, 30_000)).toBe(true);
  });

  test('without lateness a window accepts events until the watermark reaches its end', () => {
    expect(isClosedForEvents(w, 59_999, 0)).toBe(false);
    expect(isClosedForEvents(w, 60_000, 0)).toBe(true);
  });

  test('before any watermark every window accepts events', () => {
    expect(isClosedForEvents(w, null, 0)).toBe(false);
  });

  test('state is dropped at end + lateness', () => {
    expect(expiresAt(w, 30_000)).toBe(90_000);
    expect(expiresAt(w, 0)).toBe(60_000);
  });
});
