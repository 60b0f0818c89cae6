'use strict';

const { Pool } = require('pg');
const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { waitUntil } = require('../../../support/wait-for');
const { createLogTap, failureSettled } = require('../../../support/log-tap');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { createRedis } = require('../../../../shared/clients/redis');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const {
  createPublisher,
  subscribe,
  idempotent,
  createRedisIdempotencyStore,
  createPgIdempotencyStore,
} = require('../../../../shared/events');

const closers = [];
// Declared before useNamespace so it runs before the namespace is dropped.
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const ns = useNamespace({ databases: ['pipeline'] });

function rabbit() {
  const r = createRabbit({ AMQP_URL: ns.env.AMQP_URL, SERVICE_NAME: 'idem-it' }, { logger: silentLogger, clock: createFakeClock(0) });
  closers.push(() => r.close());
  return r;
}

function redis() {
  const c = createRedis({ REDIS_URL: ns.env.REDIS_URL, REDIS_PREFIX: ns.env.REDIS_PREFIX }, { logger: silentLogger });
  closers.push(() => c.close());
  return c;
}

let pool;
beforeAll(() => {
  pool = new Pool({ connectionString: ns.env.PIPELINE_DATABASE_URL, max: 4 });
  // An idle connection dropped by the server must not crash the test process; queries still fail.
  pool.on('error', () => {});
  closers.push(() => pool.end());
});

// Waits for `n` calls of the returned callback.
function counter(n) {
  const done = createDeferred();
  let count = 0;
  return {
    hit() {
      count++;
      if (count === n) done.resolve();
    },
    get count() {
      return count;
    },
    done: done.promise,
  };
}

// After cancel() (which waits for running handlers) and close, any delivery that was not acked goes
// back to ready; a fresh connection then sees it in messageCount.
async function readyCount(queue) {
  const r = rabbit();
  await r.connect();
  const ch = await r.channel();
  return (await ch.checkQueue(queue)).messageCount;
}

// The retry delay is long enough that a failed delivery stays parked in `<queue>.retry` until the
// test hands it back, so the retry is checked instead of waited for.
function queueDef(name, key) {
  return { name, exchange: 'events', routingKeys: [key], retryDelayMs: 3_600_000 };
}

// The consumer logs that it settles a failure, then republishes the delivery on the client's shared
// channel in the same tick, and the broker handles a channel's frames in order: a count taken on
// that channel once the log record is in sees the copy. (The handler's own signal comes too early:
// the idempotent wrapper still rolls back before the consumer sees the error.)
async function parkedInRetry(r, queue, settled) {
  await settled;
  const ch = await r.channel();
  await waitUntil(async () => (await ch.checkQueue(`${queue}.retry`)).messageCount === 1, {
    maxIterations: 50,
    description: `the failed delivery is parked in ${queue}.retry`,
  });
  // What the broker does when the delay is over: rejected in the retry queue, the copy is
  // dead-lettered back into the work queue.
  const msg = await ch.get(`${queue}.retry`, { noAck: false });
  expect(msg).not.toBe(false);
  ch.nack(msg, false, false);
}

describe('idempotent consumer with the Redis store', () => {
  test('a duplicate delivery is acked without running the handler again', async () => {
    const r = rabbit();
    const store = createRedisIdempotencyStore({ redis: redis(), namespace: 'idem:it-redis' });
    const ran = jest.fn(async () => {});
    const dup = counter(1);
    const handled = [counter(1), counter(2)];
    const queue = queueDef('it.idem.redis', 'usage.recorded');
    const idem = idempotent(ran, { store, ttlMs: 60_000, onDuplicate: () => dup.hit() });
    const sub = await subscribe({
      rabbit: r,
      queue,
      // Counted once the wrapper returned, i.e. once the id is recorded as done.
      handler: async (...args) => {
        await idem(...args);
        for (const c of handled) c.hit();
      },
    });
    await r.connect();
    const publisher = createPublisher({ rabbit: r });
    await publisher.publish('usage.recorded', { tenantId: 't1', data: { units: 1 } }, { messageId: 'evt-dup' });
    await handled[0].done;
    await publisher.publish('usage.recorded', { tenantId: 't1', data: { units: 1 } }, { messageId: 'evt-dup' });
    await handled[1].done;
    expect(dup.count).toBe(1);
    await sub.cancel();
    await r.close();
    expect(ran).toHaveBeenCalledTimes(1);
    expect(await store.has('evt-dup')).toBe(true);
    expect(await readyCount('it.idem.redis')).toBe(0);
  });

  test('a failed attempt releases the id so the retry runs the handler', async () => {
    const store = createRedisIdempotencyStore({ redis: redis(), namespace: 'idem:it-redis-fail' });
    let calls = 0;
    const handler = idempotent(
      async () => {
        calls++;
        if (calls === 1) throw new Error('transient');
        return 'ok';
      },
      { store },
    );
    const event = { id: 'evt-f' };
    await expect(handler(event, {}, {})).rejects.toThrow('transient');
    await expect(handler(event, {}, {})).resolves.toBe('ok');
    await expect(handler(event, {}, {})).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});

describe('idempotent consumer with the PostgreSQL store', () => {
  test('the processed record and the handler writes commit together, once', async () => {
    await pool.query('CREATE TABLE usage_effects (event_id text, units int)');
    const store = createPgIdempotencyStore({ pool, consumer: 'billing.usage' });
    await store.ensureSchema();
    const r = rabbit();
    let attempts = 0;
    const failed = createDeferred();
    const committed = counter(1);
    const dup = counter(1);
    const tap = createLogTap();
    const sub = await subscribe({
      rabbit: r,
      queue: queueDef('it.idem.pg', 'usage.metered'),
      logger: tap.logger,
      handler: idempotent(
        async (event, msg, { tx }) => {
          attempts++;
          await tx.query('INSERT INTO usage_effects VALUES ($1, $2)', [event.id, event.data.units]);
          // The first attempt fails after its write: the write and the processed record roll back.
          if (attempts === 1) {
            failed.resolve();
            throw new Error('crash after write');
          }
          committed.hit();
        },
        { store, onDuplicate: () => dup.hit() },
      ),
    });
    await r.connect();
    const publisher = createPublisher({ rabbit: r });
    await publisher.publish('usage.metered', { tenantId: 't1', data: { units: 5 } }, { messageId: 'evt-pg' });
    await failed.promise;
    await parkedInRetry(r, 'it.idem.pg', tap.nth(1, failureSettled));
    await committed.done;
    await publisher.publish('usage.metered', { tenantId: 't1', data: { units: 5 } }, { messageId: 'evt-pg' });
    await dup.done;
    await sub.cancel();
    expect(attempts).toBe(2);
    const effects = await pool.query('SELECT event_id, units FROM usage_effects');
    expect(effects.rows).toEqual([{ event_id: 'evt-pg', units: 5 }]);
    const processed = await pool.query('SELECT consumer, message_id FROM processed_messages');
    expect(processed.rows).toEqual([{ consumer: 'billing.usage', message_id: 'evt-pg' }]);
  });

  test('two concurrent deliveries of one id run the handler once', async () => {
    const t0 = Date.parse('2024-05-01T00:00:00.000Z');
    const store = createPgIdempotencyStore({ pool, consumer: 'alerts.metrics', clock: createFakeClock(t0) });
    await store.ensureSchema();
    const ran = jest.fn(async () => {});
    const handler = idempotent(ran, { store });
    await Promise.all([handler({ id: 'evt-c' }, {}, {}), handler({ id: 'evt-c' }, {}, {})]);
    expect(ran).toHaveBeenCalledTimes(1);
    // Two days later the id is forgotten.
    const later = createPgIdempotencyStore({ pool, consumer: 'alerts.metrics', clock: createFakeClock(t0 + 2 * 24 * 3600 * 1000) });
    expect(await later.purgeExpired(24 * 3600 * 1000)).toBe(1);
  });
});
