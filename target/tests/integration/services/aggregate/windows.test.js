'use strict';

const { useNamespace } = require('../../../support/namespace');
const { aggregateHarness } = require('../../../unit/services/aggregate/harness');
const { routed } = require('../../../unit/services/aggregate/fixtures');

// Rollups defined over HTTP (PostgreSQL), records through the ingress into the Redis partitions,
// windows out: the counts, sums and boundaries a user reads from the emitted events.

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const S = 1000;
const MIN = 60 * S;
const ns = useNamespace({ databases: ['pipeline', 'metrics'] });

const rel = (windows) => windows.map((w) => ({ start: w.start - T0, end: w.end - T0, count: w.count, revision: w.revision }));

describe('tumbling windows from a rollup defined over HTTP', () => {
  test('per-minute counts: events on a boundary count in the minute they open', async () => {
    const h = await aggregateHarness(ns);
    await h.api('t-tumble').rollup({ rollupId: 'views', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    const stamps = [0, 20 * S, MIN - 1, MIN, MIN + 1, 2 * MIN, 2 * MIN + 30 * S, 3 * MIN + 5 * S];
    await h.feed(stamps.map((o) => routed({ tenantId: 't-tumble', ts: T0 + o })));
    expect(rel(h.windows('views'))).toEqual([
      { start: 0, end: MIN, count: 3, revision: 1 },
      { start: MIN, end: 2 * MIN, count: 2, revision: 1 },
      { start: 2 * MIN, end: 3 * MIN, count: 2, revision: 1 },
    ]);
  }, 120_000);

  test('sums, means and extremes of a property per series', async () => {
    const h = await aggregateHarness(ns);
    await h.api('t-sum').rollup({ rollupId: 'spend', field: 'properties.amount', groupBy: ['plan', 'country'], functions: ['sum', 'mean', 'min', 'max'], window: { kind: 'tumbling', sizeMs: MIN } });
    const at = (o, amount, country) => routed({ tenantId: 't-sum', ts: T0 + o, properties: { amount }, dimensions: { country, plan: 'pro' } });
    await h.feed([...Array.from({ length: 10 }, (_, i) => at(i * S, 0.1, 'DE')), at(5 * S, 7, 'FR'), at(MIN + 1, 1, 'DE'), at(MIN + 2, 1, 'FR')]);
    const [de] = h.windows('spend', 'country=DE,plan=pro');
    expect(de).toMatchObject({ count: 10, sum: 1, mean: 0.1, min: 0.1, max: 0.1 });
    const [fr] = h.windows('spend', 'country=FR,plan=pro');
    expect(fr).toMatchObject({ count: 1, sum: 7, mean: 7 });
  }, 120_000);

  test('records of other topics, names or tenants and non-numeric values do not count', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-filter').rollup({ rollupId: 'checkout', topic: 'shop', eventName: 'checkout', field: 'properties.total', window: { kind: 'tumbling', sizeMs: MIN } });
    const ev = (extra) => routed({ tenantId: 't-filter', topic: 'shop', name: 'checkout', ts: T0 + 1000, properties: { total: 5 }, ...extra });
    await h.feed([ev(), ev({ topic: 'web' }), ev({ name: 'view' }), ev({ tenantId: 't-other' }), ev({ properties: { total: 'five' } }), ev({ properties: {} }), ev({ ts: T0 + MIN + 1 })]);
    expect(rel(h.windows('checkout'))).toEqual([{ start: 0, end: MIN, count: 1, revision: 1 }]);
  }, 120_000);

  test('a histogram with le buckets counts values on a bound in that bound’s bucket', async () => {
    const h = await aggregateHarness(ns);
    await h.api('t-hist').rollup({ rollupId: 'latency', field: 'properties.ms', functions: ['histogram'], histogram: { bounds: [50, 100, 250] }, window: { kind: 'tumbling', sizeMs: MIN } });
    const values = [20, 50, 100, 100, 180, 250, 900];
    await h.feed([...values.map((ms, i) => routed({ tenantId: 't-hist', ts: T0 + i * S, properties: { ms } })), routed({ tenantId: 't-hist', ts: T0 + MIN, properties: { ms: 1 } })]);
    const [w] = h.windows('latency');
    expect(w.histogram).toEqual({ bounds: [50, 100, 250], counts: [2, 2, 2, 1] });
  }, 120_000);
});

describe('hopping and session windows', () => {
  test('hopping windows of 5 s every 3 s count each event in every window containing it, and only those', async () => {
    const h = await aggregateHarness(ns);
    await h.api('t-hop').rollup({ rollupId: 'hop', field: 'count', window: { kind: 'hopping', sizeMs: 5 * S, advanceMs: 3 * S } });
    // T0 is a multiple of 3 s and 5 s.
    await h.feed([0, 3 * S, 5 * S, 6 * S, 20 * S].map((o) => routed({ tenantId: 't-hop', ts: T0 + o })));
    const got = rel(h.windows('hop')).map(({ start, end, count }) => [start, end, count]);
    expect(got).toEqual([
      [-3 * S, 2 * S, 1],
      [0, 5 * S, 2],
      [3 * S, 8 * S, 3],
      [6 * S, 11 * S, 1],
    ]);
  }, 120_000);

  test('an event that bridges two sessions makes one session of all their events', async () => {
    const h = await aggregateHarness(ns);
    await h.api('t-sess').rollup({ rollupId: 'visits', field: 'count', groupBy: ['user'], window: { kind: 'session', gapMs: 10 * S } });
    const ev = (o) => routed({ tenantId: 't-sess', ts: T0 + o, dimensions: { user: 'u1' } });
    await h.feed([ev(0), ev(15 * S), ev(8 * S)]);
    await h.feed([ev(2 * MIN)]);
    expect(rel(h.windows('visits', 'user=u1'))).toEqual([{ start: 0, end: 25 * S, count: 3, revision: 1 }]);
  }, 120_000);
});

describe('lateness, drain and state', () => {
  test('a late event within the allowed lateness re-emits its window with revision 2; after it, late events are dropped', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-late').rollup({ rollupId: 'late', field: 'count', window: { kind: 'tumbling', sizeMs: MIN, allowedLatenessMs: 30 * S } });
    const ev = (o) => routed({ tenantId: 't-late', ts: T0 + o });
    await h.feed([ev(10 * S), ev(50 * S), ev(70 * S)]);
    expect(rel(h.windows('late'))).toEqual([{ start: 0, end: MIN, count: 2, revision: 1 }]);
    await h.feed([ev(59 * S)]);
    expect(rel(h.windows('late'))).toEqual([{ start: 0, end: MIN, count: 3, revision: 2 }]);
    await h.feed([ev(95 * S)]);
    await h.feed([ev(30 * S)]);
    expect(rel(h.windows('late'))).toEqual([{ start: 0, end: MIN, count: 3, revision: 2 }]);
    expect(h.parts.engine.stats().late).toBe(1);
  }, 120_000);

  test('drain emits the last window of a bounded replay exactly once', async () => {
    const h = await aggregateHarness(ns);
    await h.api('t-drain').rollup({ rollupId: 'replay', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    await h.feed([5 * S, 25 * S, 59 * S].map((o) => routed({ tenantId: 't-drain', ts: T0 + o })));
    expect(h.emitted()).toHaveLength(0);
    await h.parts.engine.drain();
    await h.parts.engine.drain();
    expect(rel(h.windows('replay'))).toEqual([{ start: 0, end: MIN, count: 3, revision: 1 }]);
    expect(h.emitted()).toHaveLength(1);
  }, 120_000);

  test('a routed event delivered twice is counted once', async () => {
    const h = await aggregateHarness(ns);
    await h.api('t-dup').rollup({ rollupId: 'dup', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    const e = routed({ tenantId: 't-dup', ts: T0 + 1000 });
    await h.feed([e, e, routed({ tenantId: 't-dup', ts: T0 + MIN })]);
    await h.feed([e]);
    expect(rel(h.windows('dup'))).toEqual([{ start: 0, end: MIN, count: 1, revision: 1 }]);
  }, 120_000);

  test('window state is deleted once the watermark passes end + lateness', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-gc').rollup({ rollupId: 'gc', field: 'count', window: { kind: 'tumbling', sizeMs: MIN, allowedLatenessMs: 30 * S } });
    await h.feed([0, 10 * S, MIN + 5 * S].map((o) => routed({ tenantId: 't-gc', ts: T0 + o })));
    expect((await h.stateKeys()).length).toBeGreaterThan(0);
    await h.feed([3 * MIN].map((o) => routed({ tenantId: 't-gc', ts: T0 + o })));
    expect(h.windows('gc').map((w) => w.count)).toEqual([2, 1]);
    // Only the window of the last event is left: its hash and its event-id set.
    expect((await h.stateKeys()).length).toBe(2);
    expect(await h.parts.state.liveWindows()).toBe(1);
  }, 120_000);
});

describe('watermarks across partitions', () => {
  const { partitionOf } = require('../../../../services/aggregate/src/partition');

  /** Two hosts whose records land on different partitions of 2. */
  function hostsOnTwoPartitions(tenantId) {
    const byPartition = new Map();
    for (let i = 0; byPartition.size < 2; i += 1) {
      const host = `h${i}`;
      const p = partitionOf(tenantId, { host }, 2);
      if (!byPartition.has(p)) byPartition.set(p, host);
    }
    return [...byPartition.values()];
  }

  test('a record from the slowest partition is not dropped because a faster partition is ahead', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '2' } });
    await h.api('t-skew').rollup({ rollupId: 'per-host', field: 'count', groupBy: ['host'], window: { kind: 'tumbling', sizeMs: S } });
    const [fast, slow] = hostsOnTwoPartitions('t-skew');
    const ev = (host, o) => routed({ tenantId: 't-skew', ts: T0 + o, dimensions: { host } });
    await h.feed([ev(fast, 1 * S), ev(fast, 5 * S), ev(slow, 1 * S)]);
    await h.feed([ev(slow, 2 * S + 500)]);
    await h.feed([ev(fast, 10 * S), ev(slow, 10 * S)]);
    expect(rel(h.windows('per-host', `host=${slow}`))).toEqual([
      { start: 1 * S, end: 2 * S, count: 1, revision: 1 },
      { start: 2 * S, end: 3 * S, count: 1, revision: 1 },
    ]);
    expect(h.parts.engine.stats().late).toBe(0);
  }, 120_000);

  test('GET /v1/status shows the combined watermark as the slowest partition’s', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '2' } });
    const [a, b] = hostsOnTwoPartitions('t-status');
    await h.feed([routed({ tenantId: 't-status', ts: T0 + 9 * S, dimensions: { host: a } }), routed({ tenantId: 't-status', ts: T0 + 4 * S, dimensions: { host: b } })]);
    const status = (await h.api('t-status').get('/v1/status')).json();
    expect(status.watermark).toBe(T0 + 4 * S);
    expect(status.partitions.map((p) => p.watermark).sort()).toEqual([T0 + 4 * S, T0 + 9 * S].sort());
    expect(status.partitions.every((p) => p.idle === false)).toBe(true);
  }, 120_000);
});
