'use strict';

const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
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

function queueDef(name, key) {
  return { name, exchange: 'events', routingKeys: [key], retryDelayMs: 0 };
}

describe('consumer failure handling against a real broker', () => {
  test('a handler that fails once sees the event again and it is processed exactly once', async () => {
    const r = rabbit();
    const processed = createDeferred();
    const calls = [];
    let successes = 0;
    const sub = await subscribe({
      rabbit: r,
      queue: queueDef('chaos.once', 'order.placed'),
      maxAttempts: 3,
      handler: async (event, msg, { attempt }) => {
        calls.push(attempt);
        if (calls.length === 1) throw new Error('database unavailable');
        successes++;
        processed.resolve(event);
      },
    });
    await r.connect();
    await createPublisher({ rabbit: r }).publish('order.placed', { tenantId: 't1', data: {} }, { messageId: 'evt-once' });
    const event = await processed.promise;
    await sub.cancel();
    await r.close();
    expect(event.id).toBe('evt-once');
    expect(calls).toHaveLength(2);
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
    let calls = 0;
    const sub = await subscribe({
      rabbit: r,
      queue: queueDef('chaos.poison', 'usage.recorded'),
      maxAttempts: 3,
      handler: async () => {
        calls++;
        if (calls > 3) hotLoop.reject(new Error(`handler ran ${calls} times for one message; expected at most 3`));
        throw new Error('poison message');
      },
    });
    await r.connect();
    const deadCh = await plainChannel();
    const dead = createDeferred();
    await deadCh.consume('chaos.poison.dead', (msg) => dead.resolve(msg), { noAck: true });
    await createPublisher({ rabbit: r }).publish('usage.recorded', { tenantId: 't1', data: {} }, { messageId: 'evt-poison' });
    const msg = await Promise.race([dead.promise, hotLoop.promise]);
    await sub.cancel();
    await r.close();
    expect(msg.properties.messageId).toBe('evt-poison');
    expect(msg.fields.exchange).toBe('dn.dlx');
    expect(msg.properties.headers[ATTEMPTS_HEADER]).toBe(2);
    const rejected = msg.properties.headers['x-death'].find((d) => d.reason === 'rejected');
    expect(rejected).toMatchObject({ queue: 'chaos.poison', count: 1 });
    expect(calls).toBe(3);
    expect(await readyCounts(['chaos.poison', 'chaos.poison.retry'])).toEqual({ 'chaos.poison': 0, 'chaos.poison.retry': 0 });
  });
});
