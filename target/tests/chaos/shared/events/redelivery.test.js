'use strict';

const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { waitUntil } = require('../../../support/wait-for');
const { createLogTap, failureSettled } = require('../../../support/log-tap');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPublisher, subscribe, ATTEMPTS_HEADER } = require('../../../../shared/events');

const closers = [];
// Declared before useNamespace so it runs before the namespace (and its vhost) is dropped.
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const ns = useNamespace({ databases: [] });

function rabbit() {
  const r = createRabbit({ AMQP_URL: ns.env.AMQP_URL, SERVICE_NAME: 'chaos-redelivery' }, { logger: silentLogger, clock: createFakeClock(0) });
  closers.push(() => r.close());
  return r;
}

async function plainChannel() {
  const conn = await amqp.connect(ns.env.AMQP_URL);
  conn.on('error', () => {});
  closers.push(() => conn.close().catch(() => {}));
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

// Ready messages of `queues`, seen from a fresh connection after the consumers are gone.
async function readyCounts(queues) {
  const ch = await plainChannel();
  const out = {};
  for (const q of queues) out[q] = (await ch.checkQueue(q)).messageCount;
  return out;
}

// The retry delay is long enough that a failed delivery stays parked in `<queue>.retry` until the
// test hands it back, so every step can be checked instead of waited for.
function queueDef(name, key) {
  return { name, exchange: 'events', routingKeys: [key], retryDelayMs: 3_600_000 };
}

// Resolves once the failed delivery is parked in `<queue>.retry`. The consumer logs that it settles
// the failure, then republishes and acks on the client's shared channel in the same tick, and the
// broker handles a channel's frames in order: a count taken on that channel once the record is
// logged sees the copy; a bounded number of checks, no timer.
async function parkedInRetry(r, queue, settled) {
  await settled;
  const ch = await r.channel();
  await waitUntil(async () => (await ch.checkQueue(`${queue}.retry`)).messageCount === 1, {
    maxIterations: 50,
    description: `the failed delivery is parked in ${queue}.retry`,
  });
}

// What the broker does when the retry delay is over, done now: a message rejected in the retry
// queue is dead-lettered back into its work queue, exactly like one that expired there.
async function handBack(queue) {
  const ch = await plainChannel();
  const msg = await ch.get(`${queue}.retry`, { noAck: false });
  expect(msg).not.toBe(false);
  ch.nack(msg, false, false);
}

describe('consumer failure handling against a real broker', () => {
  test('a handler that fails once sees the event again and it is processed exactly once', async () => {
    const r = rabbit();
    const failed = createDeferred();
    const processed = createDeferred();
    const calls = [];
    let successes = 0;
    const tap = createLogTap();
    const sub = await subscribe({
      rabbit: r,
      logger: tap.logger,
      queue: queueDef('chaos.once', 'order.placed'),
      maxAttempts: 3,
      handler: async (event, msg, { attempt }) => {
        calls.push(attempt);
        if (calls.length === 1) {
          failed.resolve();
          throw new Error('database unavailable');
        }
        successes++;
        processed.resolve(event);
      },
    });
    await r.connect();
    await createPublisher({ rabbit: r }).publish('order.placed', { tenantId: 't1', data: {} }, { messageId: 'evt-once' });
    await failed.promise;
    await parkedInRetry(r, 'chaos.once', tap.nth(1, failureSettled));
    await handBack('chaos.once');
    const event = await processed.promise;
    await sub.cancel();
    await r.close();
    expect(event.id).toBe('evt-once');
    expect(calls).toEqual([1, 2]);
    expect(successes).toBe(1);
    expect(await readyCounts(['chaos.once', 'chaos.once.retry', 'chaos.once.dead'])).toEqual({
      'chaos.once': 0,
      'chaos.once.retry': 0,
      'chaos.once.dead': 0,
    });
  });

  test('a handler that always fails sends the event to dn.dlx after maxAttempts and the queue drains', async () => {
    const r = rabbit();
    const hotLoop = createDeferred();
    hotLoop.promise.catch(() => {}); // observed through Promise.race below
    const failures = [createDeferred(), createDeferred(), createDeferred()];
    let calls = 0;
    const tap = createLogTap();
    const sub = await subscribe({
      rabbit: r,
      logger: tap.logger,
      queue: queueDef('chaos.poison', 'usage.recorded'),
      maxAttempts: 3,
      handler: async () => {
        calls++;
        if (calls > 3) hotLoop.reject(new Error(`handler ran ${calls} times for one message; expected at most 3`));
        else failures[calls - 1].resolve();
        throw new Error('poison message');
      },
    });
    await r.connect();
    const deadCh = await plainChannel();
    const dead = createDeferred();
    await deadCh.consume('chaos.poison.dead', (msg) => dead.resolve(msg), { noAck: true });
    await createPublisher({ rabbit: r }).publish('usage.recorded', { tenantId: 't1', data: {} }, { messageId: 'evt-poison' });
    for (const attempt of [1, 2]) {
      await failures[attempt - 1].promise;
      await parkedInRetry(r, 'chaos.poison', tap.nth(attempt, failureSettled));
      await handBack('chaos.poison');
    }
    await failures[2].promise;
    const msg = await Promise.race([dead.promise, hotLoop.promise]);
    await sub.cancel();
    await r.close();
    expect(msg.properties.messageId).toBe('evt-poison');
    expect(msg.fields.exchange).toBe('dn.dlx');
    expect(msg.properties.headers[ATTEMPTS_HEADER]).toBe(2);
    const rejected = msg.properties.headers['x-death'].find((d) => d.queue === 'chaos.poison');
    expect(rejected).toMatchObject({ reason: 'rejected', count: 1 });
    expect(calls).toBe(3);
    expect(await readyCounts(['chaos.poison', 'chaos.poison.retry'])).toEqual({ 'chaos.poison': 0, 'chaos.poison.retry': 0 });
  });
});
