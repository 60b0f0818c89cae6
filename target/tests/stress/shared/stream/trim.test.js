'use strict';

const { useStreamRedis, fillStream } = require('../../../support/stream-redis');
const { createPrng } = require('../../../../shared/utils/prng');
const { ensureGroup, createConsumer, trimStream } = require('../../../../shared/stream');

const { redis } = useStreamRedis();

// Polls until `n` entries were read; a poll that reads nothing before that fails the test at once.
async function readAtLeast(consumer, n) {
  for (let read = 0; read < n; ) {
    const got = (await consumer.poll()).read;
    if (got === 0) throw new Error(`consumer ${consumer.name} found nothing more to read after ${read} of ${n} entries`);
    read += got;
  }
}

// Polls until `limit` entries were handled (or the consumer has nothing left).
async function consumeUpTo(consumer, seen, limit) {
  while (seen.length < limit) {
    const { read } = await consumer.poll();
    if (read === 0 && consumer.phase === 'new') break;
  }
}

describe('trimStream with several consumer groups', () => {
  test('keeps every entry a group lagging 500 behind has not read', async () => {
    const r = redis();
    const ids = await fillStream(r, 's:trim-lag', 1000);
    const fastSeen = [];
    const slowSeen = [];
    const fast = createConsumer({ redis: r, stream: 's:trim-lag', group: 'aggregate', consumer: 'a', batch: 100, handler: async (e) => fastSeen.push(e.id) });
    const slow = createConsumer({ redis: r, stream: 's:trim-lag', group: 'store', consumer: 's', batch: 100, handler: async (e) => slowSeen.push(e.id) });
    await consumeUpTo(fast, fastSeen, 1000);
    await consumeUpTo(slow, slowSeen, 500);
    expect(fastSeen).toHaveLength(1000);
    expect(slowSeen).toHaveLength(500);

    const { minId, trimmed } = await trimStream({ redis: r, stream: 's:trim-lag' });
    expect(minId).toBe(ids[499]);
    expect(trimmed).toBe(499);

    await consumeUpTo(slow, slowSeen, 1000);
    expect(slowSeen).toEqual(ids);
  });

  test('keeps entries still pending in a slow group even when they were delivered', async () => {
    const r = redis();
    const prng = createPrng('trim-pending');
    const ids = await fillStream(r, 's:trim-pel', 1000);
    const fast = createConsumer({ redis: r, stream: 's:trim-pel', group: 'aggregate', consumer: 'a', batch: 250, handler: async () => {} });
    await readAtLeast(fast, 1000);
    // The slow group read 600 entries; some of the handlers failed, so those entries are pending.
    const failing = new Set(ids.slice(0, 600).filter(() => prng.bool(0.05)));
    const oldestFailing = ids.find((id) => failing.has(id));
    const slowSeen = [];
    const slow = createConsumer({
      redis: r,
      stream: 's:trim-pel',
      group: 'alerts',
      consumer: 'al',
      batch: 100,
      handler: async (e) => {
        if (failing.has(e.id)) throw new Error('evaluation failed');
        slowSeen.push(e.id);
      },
    });
    await readAtLeast(slow, 600);

    const { minId } = await trimStream({ redis: r, stream: 's:trim-pel' });
    expect(minId).toBe(oldestFailing);
    const remaining = await r.xrange('s:trim-pel', '-', '+');
    expect(remaining[0][0]).toBe(oldestFailing);

    // After a restart the slow group's consumer re-reads its failures: all of them are still there.
    const retried = [];
    const restarted = createConsumer({ redis: r, stream: 's:trim-pel', group: 'alerts', consumer: 'al', batch: 100, handler: async (e) => retried.push(e.id) });
    await consumeUpTo(restarted, retried, 1000);
    expect(retried.slice(0, failing.size)).toEqual(ids.filter((id) => failing.has(id)));
    expect(retried.slice(failing.size)).toEqual(ids.slice(600));
  });

  test('the cut-off compares ids as numbers: 9-5 is below 10-1 and 10-2 below 10-10', async () => {
    const r = redis();
    const ids = ['9-1', '9-2', '9-3', '9-4', '9-5', '10-1', '10-2', '10-3', '10-9', '10-10', '10-11'];
    for (const id of ids) await r.xadd('s:trim-ids', id, 'n', id);
    await ensureGroup(r, 's:trim-ids', 'aggregate');
    await ensureGroup(r, 's:trim-ids', 'store');
    // A group reads `count` entries and acks them: its last-delivered id is the count-th one.
    async function readAndAck(group, count) {
      const [[, entries]] = await r.xreadgroup('GROUP', group, `${group}-1`, 'COUNT', count, 'STREAMS', 's:trim-ids', '>');
      await r.xack('s:trim-ids', group, ...entries.map(([id]) => id));
    }
    await readAndAck('aggregate', 11);
    await readAndAck('store', 5);
    expect(await trimStream({ redis: r, stream: 's:trim-ids' })).toEqual({ minId: '9-5', trimmed: 4 });

    await readAndAck('store', 2);
    expect(await trimStream({ redis: r, stream: 's:trim-ids' })).toEqual({ minId: '10-2', trimmed: 2 });
    await readAndAck('store', 3);
    expect(await trimStream({ redis: r, stream: 's:trim-ids' })).toEqual({ minId: '10-10', trimmed: 3 });
  });

  test('does nothing while a group has read nothing yet', async () => {
    const r = redis();
    await fillStream(r, 's:trim-idle', 200);
    await ensureGroup(r, 's:trim-idle', 'aggregate');
    const reader = createConsumer({ redis: r, stream: 's:trim-idle', group: 'store', consumer: 's', batch: 200, handler: async () => {} });
    await reader.poll();
    await reader.poll();
    expect(await trimStream({ redis: r, stream: 's:trim-idle' })).toEqual({ minId: '0-0', trimmed: 0 });
    expect(await r.xlen('s:trim-idle')).toBe(200);
  });
});
