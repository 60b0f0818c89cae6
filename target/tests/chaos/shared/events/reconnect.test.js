'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { waitForEvent, turns } = require('../../../support/wait-for');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPublisher, subscribe } = require('../../../../shared/events');

const closers = [];
// Declared before useNamespace so it runs before the namespace (and its vhost) is dropped.
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const ns = useNamespace({ databases: [] });

// A rabbit client that reaches the broker through a fault proxy, with its reconnect backoff on a
// fake clock the test drives.
async function proxiedRabbit(name) {
  const target = new URL(ns.env.AMQP_URL);
  const proxy = await createFaultProxy({ host: target.hostname, port: Number(target.port || 5672) });
  closers.push(() => proxy.close());
  const clock = createFakeClock(0);
  const rabbit = createRabbit({ AMQP_URL: proxy.url(ns.env.AMQP_URL), SERVICE_NAME: name }, { logger: silentLogger, clock });
  closers.push(() => rabbit.close());
  return { proxy, clock, rabbit };
}

// Cuts every connection and lets the client's scheduled reconnect run; resolves once the client
// reports it is back (after its setups ran again).
async function cutAndRecover(env, { beforeRecovery = () => {} } = {}) {
  const { proxy, clock, rabbit } = env;
  const disconnected = waitForEvent(rabbit, 'disconnected');
  const scheduled = waitForEvent(rabbit, 'reconnect-scheduled');
  proxy.cut();
  await disconnected;
  const { delay } = await scheduled;
  beforeRecovery();
  const reconnected = waitForEvent(rabbit, 'reconnected');
  await clock.advanceAsync(delay);
  await reconnected;
}

// Collects deliveries; `next()` resolves with the next one.
function inbox() {
  const items = [];
  let waiter = null;
  return {
    push(item) {
      items.push(item);
      if (waiter) {
        const w = waiter;
        waiter = null;
        w.resolve(item);
      }
    },
    next() {
      waiter = createDeferred();
      return waiter.promise;
    },
    items,
  };
}

// The consumer acks right after its handler resolves. A round trip on the same channel after that
// proves the broker has the ack, so a cut that follows cannot turn the delivery into a redelivery.
async function acksFlushed(rabbit, queue) {
  await turns(1);
  const ch = await rabbit.channel();
  await ch.checkQueue(queue);
}

function queueDef(name, key) {
  return { name, exchange: 'events', routingKeys: [key], retryDelayMs: 0 };
}

describe('broker connection loss', () => {
  test('subscriptions are re-established after the connection is cut and receive again', async () => {
    const env = await proxiedRabbit('chaos-reconnect-sub');
    const received = inbox();
    await subscribe({ rabbit: env.rabbit, queue: queueDef('chaos.resubscribe', 'metrics.cpu'), handler: async (e) => received.push(e.id) });
    await env.rabbit.connect();
    const publisher = createPublisher({ rabbit: env.rabbit });

    let next = received.next();
    await publisher.publish('metrics.cpu', { tenantId: 't1', data: {} }, { messageId: 'before-cut' });
    await next;
    await acksFlushed(env.rabbit, 'chaos.resubscribe');

    await cutAndRecover(env);
    // The setups ran again before 'reconnected': the queue has its consumer back.
    expect((await (await env.rabbit.channel()).checkQueue('chaos.resubscribe')).consumerCount).toBe(1);

    next = received.next();
    await publisher.publish('metrics.cpu', { tenantId: 't1', data: {} }, { messageId: 'after-cut' });
    await next;
    expect(received.items).toEqual(['before-cut', 'after-cut']);
  });

  test('a delivery whose handler was running when the connection dropped is redelivered and processed', async () => {
    const env = await proxiedRabbit('chaos-reconnect-inflight');
    const firstRunning = createDeferred();
    const releaseFirst = createDeferred();
    const done = createDeferred();
    const runs = [];
    await subscribe({
      rabbit: env.rabbit,
      queue: queueDef('chaos.inflight', 'tenant.updated'),
      handler: async (event, msg) => {
        runs.push(msg.fields.redelivered);
        if (runs.length === 1) {
          firstRunning.resolve();
          await releaseFirst.promise;
          return;
        }
        done.resolve();
      },
    });
    await env.rabbit.connect();
    await createPublisher({ rabbit: env.rabbit }).publish('tenant.updated', { tenantId: 't1', data: {} }, { messageId: 'in-flight' });
    await firstRunning.promise;

    try {
      await cutAndRecover(env);
      // The setups ran again before 'reconnected', so the queue has its consumer back and the
      // delivery that was never acked goes to it.
      expect((await (await env.rabbit.channel()).checkQueue('chaos.inflight')).consumerCount).toBe(1);
      await done.promise;
    } finally {
      // The interrupted run finishes on a dead channel; its ack is dropped without an error.
      releaseFirst.resolve();
    }
    expect(runs).toEqual([false, true]);
  });

  test('a publish caught by the cut rejects with a typed error and publishing works after recovery', async () => {
    const env = await proxiedRabbit('chaos-reconnect-pub');
    await subscribe({ rabbit: env.rabbit, queue: queueDef('chaos.pub', 'usage.sampled'), handler: async () => {} });
    await env.rabbit.connect();
    const publisher = createPublisher({ rabbit: env.rabbit });
    await publisher.publish('usage.sampled', { tenantId: 't1', data: {} });

    // Hold the bytes so the confirm cannot arrive before the cut.
    env.proxy.stall(true);
    const held = waitForEvent(env.proxy, 'held');
    const caught = publisher.publish('usage.sampled', { tenantId: 't1', data: {} }, { messageId: 'caught' }).then(
      () => 'confirmed',
      (err) => err,
    );
    await held;
    await cutAndRecover(env, { beforeRecovery: () => env.proxy.stall(false) });
    expect(await caught).toMatchObject({ code: 'DN_EVENTS_PUBLISH_CLOSED' });
    await expect(publisher.publish('usage.sampled', { tenantId: 't1', data: {} }, { messageId: 'after' })).resolves.toMatchObject({ id: 'after' });
  });
});
