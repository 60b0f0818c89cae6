'use strict';

const { createFakeClock, systemClock } = require('../../../../shared/utils/clock');

describe('fake clock', () => {
  test('fires due timers in due-time order, each at its own due time', () => {
    const clock = createFakeClock(1000);
    const seen = [];
    clock.setTimeout(() => seen.push(['c', clock.now()]), 300);
    clock.setTimeout(() => seen.push(['a', clock.now()]), 100);
    clock.setTimeout(() => seen.push(['b', clock.now()]), 100);
    clock.setTimeout(() => seen.push(['late', clock.now()]), 301);
    expect(clock.advance(300)).toBe(3);
    expect(seen).toEqual([
      ['a', 1100],
      ['b', 1100],
      ['c', 1300],
    ]);
    expect(clock.now()).toBe(1300);
    expect(clock.pendingTimers()).toEqual([{ id: 4, due: 1301, interval: null }]);
  });

  test('fires timers scheduled during advance when they fall inside the window', () => {
    const clock = createFakeClock();
    const seen = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 50);
      clock.setTimeout(() => seen.push(clock.now()), 500);
    }, 10);
    clock.advance(100);
    expect(seen).toEqual([10, 60]);
    expect(clock.timerCount()).toBe(1);
    clock.advance(450);
    expect(seen).toEqual([10, 60, 510]);
  });

  test('repeats intervals until cleared and never fires cleared timers', () => {
    const clock = createFakeClock();
    const ticks = [];
    const handle = clock.setInterval(() => ticks.push(clock.now()), 25);
    const never = clock.setTimeout(() => ticks.push('never'), 30);
    clock.clearTimeout(never);
    clock.advance(100);
    expect(ticks).toEqual([25, 50, 75, 100]);
    clock.clearInterval(handle);
    clock.advance(100);
    expect(ticks).toHaveLength(4);
    expect(clock.timerCount()).toBe(0);
  });

  test('runAll drains timeouts and refuses to spin on a live interval', () => {
    const clock = createFakeClock();
    const seen = [];
    clock.setTimeout(() => seen.push(1), 5000);
    clock.setTimeout(() => clock.setTimeout(() => seen.push(2), 10), 1);
    expect(clock.runAll()).toBe(3);
    expect(seen).toEqual([2, 1]);
    expect(clock.now()).toBe(5000);
    clock.setInterval(() => {}, 1);
    expect(() => clock.runAll(50)).toThrow(/interval/);
  });

  test('advanceAsync lets async code that awaits sleeps progress step by step', async () => {
    const clock = createFakeClock();
    const log = [];
    async function worker() {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        await Promise.resolve();
        log.push(clock.now());
      }
      return 'done';
    }
    const result = worker();
    await clock.advanceAsync(250);
    expect(log).toEqual([100, 200]);
    await clock.advanceAsync(50);
    expect(log).toEqual([100, 200, 300]);
    await expect(result).resolves.toBe('done');
  });

  test('treats invalid delays like Node (1 ms) and supports unref', () => {
    const clock = createFakeClock();
    const seen = [];
    const t = clock.setTimeout(() => seen.push('nan'), Number.NaN);
    expect(t.unref()).toBe(t);
    clock.setTimeout(() => seen.push('zero'), 0);
    clock.advance(0);
    expect(seen).toEqual(['zero']);
    clock.advance(1);
    expect(seen).toEqual(['zero', 'nan']);
  });

  test('systemClock exposes the same interface', () => {
    for (const fn of ['now', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'sleep']) {
      expect(typeof systemClock[fn]).toBe('function');
    }
    expect(typeof systemClock.now()).toBe('number');
  });
});
