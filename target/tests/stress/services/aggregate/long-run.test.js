'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createPrng } = require('../../../../shared/utils/prng');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { partitionOf } = require('../../../../services/aggregate/src/partition');
const { aggregateHarness } = require('../../../unit/services/aggregate/harness');
const { routed } = require('../../../unit/services/aggregate/fixtures');

// Long pseudo-random streams on the real servers: what is emitted matches a plain recount of the input,
// and live state stays bounded however long the stream runs.

const T0 = Date.UTC(2024, 4, 1, 0, 0, 0);
const S = 1000;
const MIN = 60 * S;
const ns = useNamespace({ databases: ['pipeline', 'metrics'] });

const tsOf = (e) => Date.parse(e.data.record.ts);

/** Expected per (series, window start) counts of a tumbling rollup. */
function recount(events, sizeMs, seriesOf) {
  const out = new Map();
  for (const e of events) {
    const key = `${seriesOf(e)}|${Math.floor(tsOf(e) / sizeMs) * sizeMs}`;
    out.set(key, (out.get(key) || 0) + 1);
  }
  return out;
}

describe('bounded state over a long stream', () => {
  test('24 hours of 20 series in 10-minute windows: every window emitted, live state never above 2 windows per series', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-day').rollup({ rollupId: 'day', field: 'count', groupBy: ['sensor'], window: { kind: 'tumbling', sizeMs: 10 * MIN, allowedLatenessMs: 10 * MIN } });
    let maxKeys = 0;
    for (let hour = 0; hour < 24; hour += 1) {
      const batch = [];
      for (let w = 0; w < 6; w += 1) {
        for (let s = 0; s < 20; s += 1) batch.push(routed({ tenantId: 't-day', ts: T0 + hour * 60 * MIN + w * 10 * MIN + s * S, dimensions: { sensor: `s${s}` } }));
      }
      await h.feed(batch);
      maxKeys = Math.max(maxKeys, (await h.stateKeys()).length);
    }
    // 24 h × 6 windows, the last one still open.
    expect(h.emitted()).toHaveLength(20 * (24 * 6 - 1));
    expect(h.emitted().every((e) => e.data.count === 1)).toBe(true);
    // Per series: the open window and at most one emitted window within its lateness, each a
    // hash and an event-id set.
    expect(maxKeys).toBeLessThanOrEqual(20 * 2 * 2);
    expect(await h.parts.state.liveWindows()).toBeLessThanOrEqual(40);
  }, 300_000);

  test('a random stream of 5000 out-of-order events over 50 series matches a recount of the input', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '4', AGGREGATE_OUT_OF_ORDER_MS: '30000' } });
    await h.api('t-long').rollup({ rollupId: 'long', field: 'count', groupBy: ['user'], window: { kind: 'tumbling', sizeMs: MIN } });
    const prng = createPrng(20240501);
    const events = [];
    for (let i = 0; i < 5000; i += 1) {
      // Roughly in order, up to 20 s early or late: within the tolerated disorder.
      const ts = T0 + i * 100 + prng.int(-20, 20) * S;
      events.push(routed({ tenantId: 't-long', ts: Math.max(T0, ts), dimensions: { user: `u${prng.int(0, 49)}` } }));
    }
    for (let i = 0; i < events.length; i += 500) await h.feed(events.slice(i, i + 500));
    await h.parts.engine.drain();
    const expected = recount(events, MIN, (e) => `user=${e.data.record.dimensions.user}`);
    const got = new Map(h.emitted().map((e) => [`${e.data.seriesKey}|${Date.parse(e.data.windowStart)}`, e.data.count]));
    expect(got).toEqual(expected);
    expect(h.parts.engine.stats().late).toBe(0);
  }, 300_000);

  test('500 series with a few events each: each series’ windows are emitted once with their counts', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '4' } });
    await h.api('t-keys').rollup({ rollupId: 'keys', field: 'count', groupBy: ['device'], window: { kind: 'tumbling', sizeMs: MIN } });
    const prng = createPrng('many-keys');
    const events = [];
    for (let d = 0; d < 500; d += 1) {
      const n = prng.int(1, 4);
      for (let i = 0; i < n; i += 1) events.push(routed({ tenantId: 't-keys', ts: T0 + prng.int(0, 2 * MIN - 1), dimensions: { device: `d${d}` } }));
    }
    await h.feed(prng.shuffle(events));
    await h.parts.engine.drain();
    const expected = recount(events, MIN, (e) => `device=${e.data.record.dimensions.device}`);
    const got = new Map(h.emitted().map((e) => [`${e.data.seriesKey}|${Date.parse(e.data.windowStart)}`, e.data.count]));
    expect(got).toEqual(expected);
    expect(h.emitted()).toHaveLength(expected.size);
  }, 300_000);

  test('hopping windows of 60 s every 5 s over 600 events: every window counts the events inside it', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-hops').rollup({ rollupId: 'hops', field: 'count', window: { kind: 'hopping', sizeMs: MIN, advanceMs: 5 * S } });
    const events = Array.from({ length: 600 }, (_, i) => routed({ tenantId: 't-hops', ts: T0 + i * 500 }));
    await h.feed(events);
    await h.parts.engine.drain();
    const windows = h.windows('hops');
    expect(windows.length).toBe(11 + 60);
    for (const w of windows) expect(w.count).toBe(events.filter((e) => tsOf(e) >= w.start && tsOf(e) < w.end).length);
  }, 300_000);

  test('sessions of 200 users with random gaps match the sessions a recount finds', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '4' } });
    const gap = 30 * S;
    await h.api('t-sessions').rollup({ rollupId: 'sessions', field: 'count', groupBy: ['user'], window: { kind: 'session', gapMs: gap } });
    const prng = createPrng('sessions');
    const byUser = new Map();
    for (let u = 0; u < 200; u += 1) {
      const stamps = [];
      let t = T0 + prng.int(0, 60) * S;
      for (let i = 0; i < 6; i += 1) {
        stamps.push(t);
        t += prng.bool(0.3) ? prng.int(31, 90) * S : prng.int(1, 29) * S;
      }
      byUser.set(`u${u}`, stamps);
    }
    // Each user's events arrive shuffled within one batch: sessions are built out of order.
    const events = [...byUser.entries()].flatMap(([user, stamps]) => prng.shuffle(stamps).map((ts) => routed({ tenantId: 't-sessions', ts, dimensions: { user } })));
    await h.feed(events);
    await h.parts.engine.drain();
    for (const [user, stamps] of byUser) {
      const sorted = [...stamps].sort((a, b) => a - b);
      const expected = [];
      for (const ts of sorted) {
        const last = expected[expected.length - 1];
        if (last && ts < last.end) {
          last.end = Math.max(last.end, ts + gap);
          last.count += 1;
        } else expected.push({ start: ts, end: ts + gap, count: 1 });
      }
      expect(h.windows('sessions', `user=${user}`).map(({ start, end, count }) => ({ start, end, count }))).toEqual(expected);
    }
  }, 300_000);
});

describe('idle partitions over a long stream', () => {
  /** One host per partition of `n`. */
  function hostPerPartition(tenantId, n) {
    const hosts = new Map();
    for (let i = 0; hosts.size < n; i += 1) {
      const p = partitionOf(tenantId, { host: `h${i}` }, n);
      if (!hosts.has(p)) hosts.set(p, `h${i}`);
    }
    return [...hosts.entries()].sort((a, b) => a[0] - b[0]).map(([, host]) => host);
  }

  test('8 partitions, one quiet after the first minute: windows keep closing and live state stays bounded over 6000 events', async () => {
    const clock = createFakeClock(T0);
    const h = await aggregateHarness(ns, { clock, env: { AGGREGATE_PARTITIONS: '8', AGGREGATE_IDLE_TIMEOUT_MS: '60000' } });
    await h.api('t-idle').rollup({ rollupId: 'idle', field: 'count', groupBy: ['host'], window: { kind: 'tumbling', sizeMs: MIN } });
    const hosts = hostPerPartition('t-idle', 8);
    let maxLive = 0;
    let sent = 0;
    for (let minute = 0; sent < 6_000; minute += 1) {
      const producing = minute === 0 ? hosts : hosts.slice(0, 7);
      const batch = [];
      for (let i = 0; i < 70; i += 1) {
        const host = producing[i % producing.length];
        batch.push(routed({ tenantId: 't-idle', ts: T0 + minute * MIN + Math.floor((i / 70) * MIN), dimensions: { host } }));
      }
      sent += batch.length;
      await h.feed(batch);
      await clock.advanceAsync(MIN);
      maxLive = Math.max(maxLive, await h.parts.state.liveWindows());
    }
    const minutes = Math.ceil(6_000 / 70);
    // Every active host's minutes are emitted except the last one or two.
    for (const host of hosts.slice(0, 7)) expect(h.windows('idle', `host=${host}`).length).toBeGreaterThanOrEqual(minutes - 2);
    expect(maxLive).toBeLessThanOrEqual(8 * 3);
  }, 300_000);
});
