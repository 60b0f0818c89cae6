'use strict';

const { useStreamRedis, fillStream } = require('../../../support/stream-redis');
const { createPrng } = require('../../../../shared/utils/prng');
const { ensureGroup, reclaimStale } = require('../../../../shared/stream');

const { redis } = useStreamRedis();

// Delivers every entry to `consumer` and never acks: the consumer then dies.
async function strand(r, stream, group, consumer) {
  await r.xreadgroup('GROUP', group, consumer, 'COUNT', 100000, 'STREAMS', stream, '>');
}

describe('reclaimStale under load', () => {
  test('recovers all 1000 entries pending on a dead consumer and leaves the PEL empty', async () => {
    const r = redis();
    const ids = await fillStream(r, 's:dead-1000', 1000);
    await ensureGroup(r, 's:dead-1000', 'aggregate');
    await strand(r, 's:dead-1000', 'aggregate', 'aggregate-dead');
    expect((await r.xpending('s:dead-1000', 'aggregate'))[0]).toBe(1000);

    const seen = new Set();
    const stats = await reclaimStale({
      redis: r,
      stream: 's:dead-1000',
      group: 'aggregate',
      consumer: 'aggregate-live',
      minIdleMs: 0,
      count: 100,
      handler: async (e) => {
        seen.add(e.id);
      },
    });
    expect(seen.size).toBe(1000);
    expect([...seen]).toEqual(ids);
    expect(stats).toMatchObject({ claimed: 1000, processed: 1000, failed: 0 });
    expect((await r.xpending('s:dead-1000', 'aggregate'))[0]).toBe(0);
  });

  test('acks pending entries that were deleted from the stream, so none stays in the PEL', async () => {
    const r = redis();
    const prng = createPrng('reclaim-deleted');
    const ids = await fillStream(r, 's:dead-deleted', 1000);
    await ensureGroup(r, 's:dead-deleted', 'store');
    await strand(r, 's:dead-deleted', 'store', 'store-dead');
    const deleted = new Set(prng.shuffle(ids).slice(0, 150));
    await r.xdel('s:dead-deleted', ...deleted);

    const seen = [];
    const stats = await reclaimStale({
      redis: r,
      stream: 's:dead-deleted',
      group: 'store',
      consumer: 'store-live',
      minIdleMs: 0,
      count: 64,
      handler: async (e) => seen.push(e.id),
    });
    expect(seen).toEqual(ids.filter((id) => !deleted.has(id)));
    expect(stats.deleted).toBe(150);
    expect((await r.xpending('s:dead-deleted', 'store'))[0]).toBe(0);
  });

  test('entries whose handler fails stay pending for the next round while the rest are acked', async () => {
    const r = redis();
    const prng = createPrng(20240501);
    const ids = await fillStream(r, 's:dead-flaky', 500);
    await ensureGroup(r, 's:dead-flaky', 'alerts');
    await strand(r, 's:dead-flaky', 'alerts', 'alerts-dead');
    const failing = new Set(ids.filter(() => prng.bool(0.1)));

    const first = await reclaimStale({
      redis: r,
      stream: 's:dead-flaky',
      group: 'alerts',
      consumer: 'alerts-live',
      minIdleMs: 0,
      handler: async (e) => {
        if (failing.has(e.id)) throw new Error('downstream refused');
      },
    });
    expect(first.failed).toBe(failing.size);
    expect((await r.xpending('s:dead-flaky', 'alerts'))[0]).toBe(failing.size);

    const retried = [];
    await reclaimStale({ redis: r, stream: 's:dead-flaky', group: 'alerts', consumer: 'alerts-live', minIdleMs: 0, handler: async (e) => retried.push(e.id) });
    expect(retried).toEqual(ids.filter((id) => failing.has(id)));
    expect((await r.xpending('s:dead-flaky', 'alerts'))[0]).toBe(0);
  });
});
