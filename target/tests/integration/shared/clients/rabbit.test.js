'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { loadConfig } = require('../../../../shared/utils/config');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('rabbit client on a real broker', () => {
  const ns = useNamespace({ databases: [] });
  const clients = [];

  function newClient() {
    const rabbit = createRabbit(loadConfig(ns.env), { clock: createFakeClock() });
    clients.push(rabbit);
    return rabbit;
  }

  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  test('runs registered setups before reporting connected, in registration order', async () => {
    const rabbit = newClient();
    const order = [];
    rabbit.on('connected', () => order.push('connected'));
    await rabbit.addSetup(async (ch) => {
      await ch.assertExchange('dn.test', 'topic', { durable: true });
      order.push('topology');
    });
    await rabbit.addSetup(async (ch) => {
      await ch.assertQueue('q.setup', { durable: true });
      await ch.bindQueue('q.setup', 'dn.test', 'a.#');
      order.push('queue');
    });
    await rabbit.connect();
    expect(order).toEqual(['topology', 'queue', 'connected']);
    expect(rabbit.state).toBe('ready');
    const ch = await rabbit.channel();
    expect(await rabbit.channel()).toBe(ch);
    await expect(ch.checkQueue('q.setup')).resolves.toMatchObject({ queue: 'q.setup' });
  });

  test('publishes with broker confirms and a consumer added later receives the message', async () => {
    const rabbit = newClient();
    await rabbit.connect();
    const received = createDeferred();
    await rabbit.addSetup(async (ch) => {
      await ch.assertExchange('dn.confirm', 'topic', { durable: true });
      await ch.assertQueue('q.confirm', { durable: true });
      await ch.bindQueue('q.confirm', 'dn.confirm', 'order.*');
      await ch.consume('q.confirm', (msg) => {
        ch.ack(msg);
        received.resolve({ body: JSON.parse(msg.content.toString()), type: msg.properties.contentType });
      });
    });
    const confirm = await rabbit.confirmChannel();
    expect(await rabbit.confirmChannel()).toBe(confirm);
    await rabbit.publish('dn.confirm', 'order.created', { id: 7 });
    await expect(received.promise).resolves.toEqual({ body: { id: 7 }, type: 'application/json' });
  });

  test('a failing setup fails connect and leaves the client reusable', async () => {
    const rabbit = newClient();
    const failing = async (ch) => {
      await ch.checkExchange('does.not.exist');
    };
    await rabbit.addSetup(failing);
    await expect(rabbit.connect()).rejects.toThrow(/404/);
    expect(rabbit.state).toBe('idle');
    rabbit.removeSetup(failing);
    await rabbit.connect();
    expect(rabbit.isConnected()).toBe(true);
  });

  test('close stops the client and later calls are refused', async () => {
    const rabbit = newClient();
    await rabbit.connect();
    const closed = createDeferred();
    rabbit.once('closed', closed.resolve);
    await rabbit.close();
    await closed.promise;
    await expect(rabbit.channel()).rejects.toMatchObject({ code: 'DN_AMQP_CLOSED' });
    await expect(rabbit.publish('x', 'y', 'z')).rejects.toMatchObject({ code: 'DN_AMQP_CLOSED' });
  });
});
