'use strict';

const { useStreamRedis, appendN } = require('../../../support/stream-redis');
const { createDeferred } = require('../../../support/deferred');
const { createConsumer, ensureGroup, reclaimStale } = require('../../../../shared/stream');

const { redis } = useStreamRedis();

// Runs a consumer that acks `survive` entries of a 10-entry batch and then dies: its connection is
// dropped while the next handler is still running, as when the process is killed.
async function crashAfter({ stream, group, consumer, survive }) {
  const r = redis();
  const crashed = createDeferred();
  let handled = 0;
  const c = createConsumer({
    redis: r,
    stream,
    group,
    consumer,
    batch: 10,
    handler: async () => {
      handled++;
      if (handled <= survive) return;
      r.disconnect();
      crashed.resolve();
      await new Promise(() => {}); // the process is gone; this handler never returns
    },
  });
  // The batch never completes (the last handler never returns); a poll that settles means the
  // consumer failed before it got to the crash point.
  const polling = c.poll().then(() => {
    throw new Error('the consumer finished its batch instead of crashing');
  });
  await Promise.race([crashed.promise, polling]);
}

describe('stream consumer crash recovery', () => {
  test('a consumer restarted under the same name processes what it had read but not acked', async () => {
    const setup = redis();
    const ids = await appendN(setup, 's:crash', 10);
    await ensureGroup(setup, 's:crash', 'aggregate');
    await crashAfter({ stream: 's:crash', group: 'aggregate', consumer: 'aggregate-1', survive: 4 });
    expect((await setup.xpending('s:crash', 'aggregate'))[0]).toBe(6);

    const seen = [];
    const restarted = createConsumer({ redis: redis(), stream: 's:crash', group: 'aggregate', consumer: 'aggregate-1', handler: async (e) => seen.push(e.id) });
    await restarted.poll();
    await restarted.poll();
    expect(seen).toEqual(ids.slice(4));
    expect((await setup.xpending('s:crash', 'aggregate'))[0]).toBe(0);
  });

  test('the restarted consumer handles its old entries before any new one', async () => {
    const setup = redis();
    const ids = await appendN(setup, 's:order', 10);
    await ensureGroup(setup, 's:order', 'store');
    await crashAfter({ stream: 's:order', group: 'store', consumer: 'store-1', survive: 7 });
    const newer = await appendN(setup, 's:order', 2);

    const seen = [];
    const restarted = createConsumer({ redis: redis(), stream: 's:order', group: 'store', consumer: 'store-1', batch: 2, handler: async (e) => seen.push(e.id) });
    const phases = [];
    for (let i = 0; i < 4; i++) phases.push((await restarted.poll()).phase);
    expect(seen).toEqual([...ids.slice(7), ...newer]);
    expect(phases).toEqual(['pending', 'pending', 'new', 'new']);
  });

  test('entries stranded on a consumer that never comes back are recovered by reclaimStale', async () => {
    const setup = redis();
    const ids = await appendN(setup, 's:orphan', 10);
    await ensureGroup(setup, 's:orphan', 'alerts');
    await crashAfter({ stream: 's:orphan', group: 'alerts', consumer: 'alerts-old', survive: 3 });

    // A replacement with a new name only sees undelivered entries...
    const seen = [];
    const replacement = createConsumer({ redis: redis(), stream: 's:orphan', group: 'alerts', consumer: 'alerts-new', handler: async (e) => seen.push(e.id) });
    await replacement.poll();
    await replacement.poll();
    expect(seen).toEqual([]);
    // ...until it claims the orphaned ones.
    const r = redis();
    const stats = await reclaimStale({ redis: r, stream: 's:orphan', group: 'alerts', consumer: 'alerts-new', minIdleMs: 0, handler: async (e) => seen.push(e.id) });
    expect(stats.processed).toBe(7);
    expect(seen).toEqual(ids.slice(3));
    expect((await r.xpending('s:orphan', 'alerts'))[0]).toBe(0);
  });
});
