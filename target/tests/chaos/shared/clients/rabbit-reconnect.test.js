'use strict';

const { EventEmitter } = require('node:events');
const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { waitForEvent } = require('../../../support/wait-for');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { loadConfig } = require('../../../../shared/utils/config');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('rabbit client reconnect through a fault proxy', () => {
  const ns = useNamespace({ databases: [] });
  let proxy;
  let rabbit;
  let clock;
  const deliveries = new EventEmitter();
  const received = [];
  let setupRuns = 0;

  beforeAll(async () => {
    const real = new URL(ns.env.AMQP_URL);
    proxy = await createFaultProxy({ host: real.hostname, port: Number(real.port || 5672) });
    clock = createFakeClock();
    rabbit = createRabbit(
      loadConfig({ ...ns.env, AMQP_URL: proxy.url(ns.env.AMQP_URL), RECONNECT_BASE_MS: '100', RECONNECT_MAX_MS: '1000' }),
      { clock },
    );
    await rabbit.addSetup(async (ch) => {
      setupRuns++;
      await ch.assertExchange('dn.chaos', 'topic', { durable: true });
      await ch.assertQueue('q.chaos', { durable: true });
      await ch.bindQueue('q.chaos', 'dn.chaos', 'tick.#');
      await ch.consume('q.chaos', async (msg) => {
        ch.ack(msg);
        // The broker handles a channel's frames in order: once this RPC returns, the ack has been
        // processed, so a cut made afterwards cannot cause a redelivery.
        await ch.checkQueue('q.chaos');
        received.push(msg.content.toString());
        deliveries.emit('message', msg.content.toString());
      });
    });
    await rabbit.connect();
  });

  afterAll(async () => {
    await rabbit.close();
    await proxy.close();
  });

  async function publishAndReceive(body) {
    const got = waitForEvent(deliveries, 'message', { filter: (m) => m === body });
    await rabbit.publish('dn.chaos', 'tick.one', body);
    return got;
  }

  test('after a cut the client reconnects on the clock, re-runs its setup and consumes again', async () => {
    await expect(publishAndReceive('before')).resolves.toBe('before');
    expect(setupRuns).toBe(1);

    const disconnected = waitForEvent(rabbit, 'disconnected');
    proxy.cut();
    await disconnected;
    expect(rabbit.state).toBe('reconnecting');
    expect(clock.pendingTimers()).toEqual([expect.objectContaining({ due: clock.now() + 100 })]);

    const reconnected = waitForEvent(rabbit, 'reconnected');
    await clock.advanceAsync(100);
    await expect(reconnected).resolves.toEqual({ attempts: 1 });
    expect(setupRuns).toBe(2);
    expect(rabbit.state).toBe('ready');
    await expect(publishAndReceive('after')).resolves.toBe('after');
    expect(received).toEqual(['before', 'after']);
  });

  test('backs off exponentially while the broker is unreachable', async () => {
    const scheduled = [];
    rabbit.on('reconnect-scheduled', (e) => scheduled.push(e));
    proxy.refuse(true);
    const disconnected = waitForEvent(rabbit, 'disconnected');
    proxy.cut();
    await disconnected;

    for (const attempt of [2, 3]) {
      const next = waitForEvent(rabbit, 'reconnect-scheduled', { filter: (e) => e.attempt === attempt });
      await clock.advanceAsync(scheduled[scheduled.length - 1].delay);
      await next;
    }
    expect(scheduled).toEqual([
      { attempt: 1, delay: 100 },
      { attempt: 2, delay: 200 },
      { attempt: 3, delay: 400 },
    ]);
    await expect(rabbit.channel()).rejects.toMatchObject({ code: 'DN_AMQP_UNAVAILABLE' });

    proxy.refuse(false);
    const reconnected = waitForEvent(rabbit, 'reconnected');
    await clock.advanceAsync(400);
    await expect(reconnected).resolves.toEqual({ attempts: 3 });
    expect(setupRuns).toBe(3);
    await expect(publishAndReceive('recovered')).resolves.toBe('recovered');
  });

  test('a reconnect whose setup fails is not reported as reconnected; the next attempt runs it again', async () => {
    let refuseSetup = false;
    let failingSetupRuns = 0;
    await rabbit.addSetup(async () => {
      if (!refuseSetup) return;
      failingSetupRuns++;
      refuseSetup = false;
      throw new Error('setup refused once');
    });
    refuseSetup = true;
    const disconnected = waitForEvent(rabbit, 'disconnected');
    proxy.cut();
    await disconnected;

    const firstAttempt = Promise.race([
      waitForEvent(rabbit, 'reconnect-failed').then(() => 'reconnect-failed'),
      waitForEvent(rabbit, 'reconnected').then(() => 'reconnected'),
    ]);
    await clock.advanceAsync(100);
    await expect(firstAttempt).resolves.toBe('reconnect-failed');
    expect(failingSetupRuns).toBe(1);
    expect(rabbit.state).toBe('reconnecting');

    const reconnected = waitForEvent(rabbit, 'reconnected');
    await clock.advanceAsync(200);
    await expect(reconnected).resolves.toEqual({ attempts: 2 });
    await expect(publishAndReceive('after a failed setup')).resolves.toBe('after a failed setup');
  });

  test('close stops a pending reconnect', async () => {
    const disconnected = waitForEvent(rabbit, 'disconnected');
    proxy.cut();
    await disconnected;
    expect(clock.timerCount()).toBe(1);
    await rabbit.close();
    expect(clock.timerCount()).toBe(0);
    await clock.advanceAsync(10_000);
    expect(rabbit.state).toBe('closed');
    expect(proxy.connections()).toBe(0);
  });
});
