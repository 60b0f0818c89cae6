'use strict';

const amqp = require('amqplib');
const { useNamespace, createNamespace } = require('../../../support/namespace');
const urls = require('../../../support/infra-urls');
const { EXCHANGES, QUEUES, setupTopology, registerHandler } = require('../../../../shared/events');

const connections = [];
const extraNamespaces = [];
// Declared before useNamespace so it runs before the namespace (and its vhost) is dropped.
afterAll(async () => {
  for (const c of connections) await c.close().catch(() => {});
  for (const n of extraNamespaces) await n.drop();
});
const ns = useNamespace({ databases: [] });

// A vhost nobody has declared anything in yet, as on a first deploy.
async function freshVhost() {
  const n = await createNamespace({ databases: [] });
  extraNamespaces.push(n);
  return n.env.AMQP_URL;
}

async function openChannel(url = ns.env.AMQP_URL) {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  connections.push(conn);
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

// Wraps a real channel and records the declaration RPCs in call order. amqplib writes channel RPCs
// to the socket in the order they are called, so this is the order the broker sees them in.
function recording(channel) {
  const rpcs = [];
  const wrapped = Object.create(channel);
  for (const method of ['assertExchange', 'assertQueue', 'bindQueue']) {
    wrapped[method] = (...args) => {
      rpcs.push([method, ...args.slice(0, method === 'bindQueue' ? 3 : 1)]);
      return channel[method](...args);
    };
  }
  return { channel: wrapped, rpcs };
}

async function management(resource) {
  const base = new URL(urls.rabbitManagementUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64');
  base.username = '';
  base.password = '';
  const res = await fetch(new URL(`/api/${resource}`, base), { headers: { authorization: `Basic ${auth}` } });
  if (!res.ok) throw new Error(`GET ${resource}: ${res.status}`);
  return res.json();
}

function waitForDelivery(deliveries) {
  return new Promise((resolve) => {
    deliveries.notify = resolve;
  });
}

describe('setupTopology on a real broker', () => {
  test('declares every exchange and queue with its arguments on a fresh vhost', async () => {
    const ch = await openChannel();
    await setupTopology(ch);
    const vhost = encodeURIComponent(ns.id);
    for (const ex of Object.values(EXCHANGES)) {
      const info = await management(`exchanges/${vhost}/${encodeURIComponent(ex.name)}`);
      expect({ name: info.name, type: info.type, durable: info.durable }).toEqual({ name: ex.name, type: ex.type, durable: true });
    }
    for (const name of Object.keys(QUEUES)) {
      const q = await management(`queues/${vhost}/${encodeURIComponent(name)}`);
      expect(q.arguments).toEqual({ 'x-dead-letter-exchange': 'dn.dlx', 'x-dead-letter-routing-key': name });
      const retry = await management(`queues/${vhost}/${encodeURIComponent(`${name}.retry`)}`);
      expect(retry.arguments['x-dead-letter-routing-key']).toBe(name);
      await expect(ch.checkQueue(`${name}.dead`)).resolves.toMatchObject({ queue: `${name}.dead` });
    }
    const bindings = await management(`exchanges/${vhost}/dn.events/bindings/source`);
    expect(bindings.map((b) => [b.destination, b.routing_key])).toEqual(
      expect.arrayContaining([
        ['router.ingestion', 'ingestion.accepted'],
        ['alerts.metrics', 'metrics.#'],
      ]),
    );
  });

  test('sends each exchange declaration before any bind to it and each queue before its bindings', async () => {
    const { channel, rpcs } = recording(await openChannel(await freshVhost()));
    await setupTopology(channel, { queues: ['router.ingestion', 'workers.tasks'] });
    const exchanges = new Set();
    const queues = new Set();
    for (const [method, a, b] of rpcs) {
      if (method === 'assertExchange') exchanges.add(a);
      if (method === 'assertQueue') queues.add(a);
      if (method === 'bindQueue') {
        expect(`${method} ${a} -> ${b}: queue declared ${queues.has(a)}`).toBe(`${method} ${a} -> ${b}: queue declared true`);
        expect(`${method} ${a} -> ${b}: exchange declared ${exchanges.has(b)}`).toBe(`${method} ${a} -> ${b}: exchange declared true`);
      }
    }
    expect(rpcs.filter((r) => r[0] === 'bindQueue')).toHaveLength(6);
  });

  test('can run again on every start without closing the channel', async () => {
    const ch = await openChannel();
    await setupTopology(ch, { queues: ['billing.usage'] });
    await setupTopology(ch, { queues: ['billing.usage'] });
    await expect(ch.checkExchange('dn.events')).resolves.toBeDefined();
  });

  test('a handler registered after setupTopology receives a published event', async () => {
    const url = await freshVhost();
    const ch = await openChannel(url);
    await setupTopology(ch, { queues: ['admin.tenants'] });
    const deliveries = [];
    const delivered = waitForDelivery(deliveries);
    await registerHandler(ch, {
      queue: 'admin.tenants',
      handler: async (event) => {
        deliveries.push(event);
        deliveries.notify();
      },
    });
    const pubCh = await openChannel(url);
    pubCh.publish('dn.events', 'tenant.created', Buffer.from(JSON.stringify({ id: 'e-1', type: 'tenant.created' })));
    await delivered;
    expect(deliveries.map((e) => e.id)).toEqual(['e-1']);
  });

  test('a handler on a queue of the direct task exchange receives a published task', async () => {
    const url = await freshVhost();
    const ch = await openChannel(url);
    await setupTopology(ch, { queues: ['workers.tasks'] });
    const deliveries = [];
    const delivered = waitForDelivery(deliveries);
    await registerHandler(ch, {
      queue: 'workers.tasks',
      handler: async (event) => {
        deliveries.push(event);
        deliveries.notify();
      },
    });
    const pubCh = await openChannel(url);
    pubCh.publish('dn.tasks', 'task.requested', Buffer.from(JSON.stringify({ id: 't-1', type: 'task.requested' })));
    await delivered;
    expect(deliveries.map((e) => e.id)).toEqual(['t-1']);
  });
});
