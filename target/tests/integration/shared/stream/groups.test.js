'use strict';

const Redis = require('ioredis');
const { waitForEvent } = require('../../../support/wait-for');
const { useStreamRedis, appendN } = require('../../../support/stream-redis');
const { ensureGroup, createConsumer, reclaimStale, trimStream, append } = require('../../../../shared/stream');

const { ns, redis, closeLater } = useStreamRedis();

// A client without the namespace prefix, to look at the raw keys.
function rawRedis() {
  const c = new Redis(ns.env.REDIS_URL);
  closeLater(() => c.quit());
  return c;
}

describe('ensureGroup', () => {
  test('creates the stream and the group on a fresh key and tolerates the second call', async () => {
    const r = redis();
    expect(await r.exists('s:fresh')).toBe(0);
    await expect(ensureGroup(r, 's:fresh', 'aggregate')).resolves.toBe(true);
    await expect(ensureGroup(r, 's:fresh', 'aggregate')).resolves.toBe(false);
    const groups = await r.xinfo('GROUPS', 's:fresh');
    expect(groups).toHaveLength(1);
    expect(await rawRedis().exists(`${ns.env.REDIS_PREFIX}s:fresh`)).toBe(1);
    // Creating the stream must not put anything in it for consumers to read.
    expect(await r.xlen('s:fresh')).toBe(0);
  });

  test('a key that holds something else than a stream is an error, not an existing group', async () => {
    const r = redis();
    await r.set('s:plain', 'not a stream');
    await expect(ensureGroup(r, 's:plain', 'g')).rejects.toThrow(/WRONGTYPE/);
    expect(await r.get('s:plain')).toBe('not a stream');
  });

  test('a second call keeps the group position', async () => {
    const r = redis();
    await appendN(r, 's:pos', 3);
    await ensureGroup(r, 's:pos', 'g');
    await r.xreadgroup('GROUP', 'g', 'c', 'COUNT', 2, 'STREAMS', 's:pos', '>');
    await ensureGroup(r, 's:pos', 'g');
    const [group] = await r.xinfo('GROUPS', 's:pos');
    expect(group[group.indexOf('pending') + 1]).toBe(2);
  });
});

describe('stream consumer', () => {
  test('delivers entries appended before its group existed', async () => {
    const r = redis();
    const ids = await appendN(r, 's:early', 5);
    const seen = [];
    const consumer = createConsumer({ redis: r, stream: 's:early', group: 'aggregate', consumer: 'a-1', handler: async (e) => seen.push(e.id) });
    await consumer.poll();
    await consumer.poll();
    expect(seen).toEqual(ids);
    expect((await r.xpending('s:early', 'aggregate'))[0]).toBe(0);
  });

  test("a group created with startId '$' skips the backlog and receives only later entries", async () => {
    const r = redis();
    await appendN(r, 's:tail', 3);
    const seen = [];
    const consumer = createConsumer({ redis: r, stream: 's:tail', group: 'live', consumer: 'live-1', startId: '$', handler: async (e) => seen.push(e.id) });
    await consumer.poll();
    expect(seen).toEqual([]);
    const later = await appendN(r, 's:tail', 2);
    await consumer.poll();
    expect(seen).toEqual(later);
  });

  test('every group created after the backlog was written receives all of it', async () => {
    const r = redis();
    const ids = await appendN(r, 's:backlog', 5);
    const seenBy = { aggregate: [], store: [] };
    for (const group of Object.keys(seenBy)) {
      const consumer = createConsumer({ redis: r, stream: 's:backlog', group, consumer: `${group}-1`, batch: 2, handler: async (e) => seenBy[group].push(e.id) });
      for (let i = 0; i < 4; i++) await consumer.poll();
    }
    expect(seenBy).toEqual({ aggregate: ids, store: ids });
  });

  test('a failing handler leaves its entry pending and reclaimStale hands it to another consumer', async () => {
    const r = redis();
    await ensureGroup(r, 's:fail', 'g');
    const [id] = await appendN(r, 's:fail', 1);
    const consumer = createConsumer({
      redis: r,
      stream: 's:fail',
      group: 'g',
      consumer: 'flaky',
      handler: async () => {
        throw new Error('downstream unavailable');
      },
    });
    expect(await consumer.poll()).toEqual({ phase: 'new', read: 1, acked: 0, failed: 1 });
    const seen = [];
    const stats = await reclaimStale({ redis: r, stream: 's:fail', group: 'g', consumer: 'rescuer', minIdleMs: 0, handler: async (e) => seen.push(e.id) });
    expect(seen).toEqual([id]);
    expect(stats).toMatchObject({ claimed: 1, processed: 1 });
    expect((await r.xpending('s:fail', 'g'))[0]).toBe(0);
  });

  test('run() processes entries as they arrive and stop() ends the blocking loop', async () => {
    const r = redis();
    const seen = [];
    const consumer = createConsumer({ redis: r, stream: 's:live', group: 'g', consumer: 'live', blockMs: 10_000, handler: async (e) => seen.push(e.fields.n) });
    await consumer.start();
    const running = consumer.run();
    const processed = waitForEvent(consumer, 'processed');
    await append(r, 's:live', { n: '7' });
    await processed;
    await consumer.stop();
    await running;
    expect(seen).toEqual(['7']);
  });

  test('stream commands go through the namespace prefix, including XAUTOCLAIM, XINFO and XPENDING', async () => {
    const r = redis();
    await appendN(r, 's:prefixed', 4);
    await ensureGroup(r, 's:prefixed', 'g');
    await r.xreadgroup('GROUP', 'g', 'gone', 'COUNT', 4, 'STREAMS', 's:prefixed', '>');
    await reclaimStale({ redis: r, stream: 's:prefixed', group: 'g', consumer: 'c', minIdleMs: 0, count: 3, handler: async () => {} });
    const { trimmed } = await trimStream({ redis: r, stream: 's:prefixed' });
    expect(trimmed).toBe(3);
    const raw = rawRedis();
    expect(await raw.exists('s:prefixed')).toBe(0);
    expect(await raw.xlen(`${ns.env.REDIS_PREFIX}s:prefixed`)).toBe(1);
  });
});
