'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createPrng } = require('../../../../shared/utils/prng');
const { aggregateHarness } = require('../../../unit/services/aggregate/harness');
const { routed } = require('../../../unit/services/aggregate/fixtures');

// Several aggregate instances on one Redis share the partitions and the window state: whatever
// the interleaving, every event is counted exactly once.

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MIN = 60_000;
const ns = useNamespace({ databases: ['pipeline', 'metrics'] });

/** `count` workers, each taking the next item until none is left. */
async function workers(count, items, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

describe('4 instances updating the same windows', () => {
  test('4000 concurrent updates of 10 windows from 4 instances: every count and sum is exact', async () => {
    const first = await aggregateHarness(ns);
    const others = await Promise.all([1, 2, 3].map(() => aggregateHarness(ns, { prefix: first.prefix })));
    const instances = [first, ...others];
    const def = { functions: ['count', 'sum'], bounds: [] };
    const windowOf = (k) => ({ tenantId: 't-cas', rollupId: 'r', seriesKey: `k=${k}`, kind: 'tumbling', start: T0, end: T0 + MIN, expiresAt: T0 + MIN });
    const adds = Array.from({ length: 4000 }, (_, i) => ({ i, k: i % 10, value: (i % 7) + 0.5 }));
    await Promise.all(
      instances.map((h, n) => workers(8, adds.filter((a) => a.i % 4 === n), (a) => h.parts.state.add(windowOf(a.k), def, `e${a.i}`, a.value))),
    );
    const { windowId } = require('../../../../services/aggregate/src/state/keys');
    for (let k = 0; k < 10; k += 1) {
      const state = await first.parts.state.read(windowId(windowOf(k)));
      const mine = adds.filter((a) => a.k === k);
      expect(state.acc.n).toBe(mine.length);
      expect(state.acc.sum + state.acc.c).toBe(mine.reduce((s, a) => s + a.value, 0));
    }
  }, 300_000);

  test('4 instances pumping one partition set: per-window counts are exact and each window is emitted once', async () => {
    const first = await aggregateHarness(ns, { env: { AGGREGATE_BATCH: '20' } });
    const others = await Promise.all([1, 2, 3].map(() => aggregateHarness(ns, { prefix: first.prefix, env: { AGGREGATE_BATCH: '20' } })));
    const instances = [first, ...others];
    await first.api('t-four').rollup({ rollupId: 'hits', field: 'properties.v', groupBy: ['page'], window: { kind: 'tumbling', sizeMs: MIN } });
    const prng = createPrng('four-instances');
    const events = Array.from({ length: 2000 }, (_, i) => routed({ tenantId: 't-four', ts: T0 + Math.floor((i / 2000) * 3 * MIN), properties: { v: prng.int(1, 9) }, dimensions: { page: `p${prng.int(0, 2)}` } }));
    for (const e of events) await first.parts.ingress.handleRouted(e);
    await Promise.all(instances.map((h) => h.parts.engine.pump()));
    // The last minute closes with one more event per page.
    for (const page of ['p0', 'p1', 'p2']) await first.parts.ingress.handleRouted(routed({ tenantId: 't-four', ts: T0 + 10 * MIN, properties: { v: 1 }, dimensions: { page } }));
    await Promise.all(instances.map((h) => h.parts.engine.pump()));
    const emitted = instances.flatMap((h) => h.emitted());
    for (const page of ['p0', 'p1', 'p2']) {
      for (let m = 0; m < 3; m += 1) {
        const start = T0 + m * MIN;
        const mine = events.filter((e) => e.data.record.dimensions.page === page && Date.parse(e.data.record.ts) >= start && Date.parse(e.data.record.ts) < start + MIN);
        const copies = emitted.filter((e) => e.data.seriesKey === `page=${page}` && Date.parse(e.data.windowStart) === start);
        // Every instance relays the shared outbox, so a window event may go out more than once
        // while the first publish is unconfirmed; a copy carries the same id (the store keeps one
        // per id). Once means one event id per window, whatever the interleaving.
        expect(copies.length).toBeGreaterThanOrEqual(1);
        expect(new Set(copies.map((e) => e.id)).size).toBe(1);
        expect(copies[0].data).toMatchObject({ count: mine.length, sum: mine.reduce((s, e) => s + e.data.record.properties.v, 0), revision: 1 });
        // Records another instance still had in flight held the watermark back: nothing was late.
      }
    }
    expect(instances.reduce((n, h) => n + h.parts.engine.stats().late, 0)).toBe(0);
  }, 300_000);
});
