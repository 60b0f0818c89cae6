'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPublisher, subscribe, setupTopology } = require('../../../../shared/events');
const { validateEnvelope } = require('../../../../shared/contracts');

const clients = [];
// Declared before useNamespace so it runs before the namespace (and its vhost) is dropped.
afterAll(async () => {
  for (const c of clients) await c.close();
});
const ns = useNamespace({ databases: [] });

function rabbit() {
  const r = createRabbit({ AMQP_URL: ns.env.AMQP_URL, SERVICE_NAME: 'events-it' }, { logger: silentLogger, clock: createFakeClock(0) });
  clients.push(r);
  return r;
}

const QUEUE = { name: 'it.orders', exchange: 'events', routingKeys: ['ingestion.accepted'], retryDelayMs: 0 };
const DATA = { batchId: 'b-1', source: 'http', stream: 'ingest:t1', recordCount: 2, receivedAt: '2024-05-01T09:59:59.000Z' };

describe('publish and consume through the rabbit client', () => {
  test('a confirmed publish reaches the subscribed handler as a valid persistent envelope', async () => {
    const r = rabbit();
    const received = createDeferred();
    await subscribe({ rabbit: r, queue: QUEUE, handler: async (event, msg) => received.resolve({ event, msg }) });
    await r.connect();
    const publisher = createPublisher({ rabbit: r, clock: createFakeClock(Date.parse('2024-05-01T10:00:00.000Z')), idFactory: () => 'evt-1' });
    const sent = await publisher.publish('ingestion.accepted', { tenantId: 't1', data: DATA });
    const { event, msg } = await received.promise;
    expect(event).toEqual(sent);
    expect(validateEnvelope(event)).toEqual({ valid: true, errors: [] });
    expect(msg.properties).toMatchObject({ deliveryMode: 2, messageId: 'evt-1', contentType: 'application/json' });
  });

  test('publishing to an exchange that does not exist rejects with a typed error', async () => {
    const r = rabbit();
    await r.connect();
    const publisher = createPublisher({ rabbit: r });
    await expect(publisher.publish('x.y', { tenantId: 't1', data: {} }, { exchange: 'dn.missing' })).rejects.toMatchObject({
      code: 'DN_EVENTS_PUBLISH_CLOSED',
    });
    // The confirm channel is replaced and the next publish goes through.
    const ch = await r.channel();
    await setupTopology(ch, { queues: [] });
    await expect(publisher.publish('x.y', { tenantId: 't1', data: {} })).resolves.toMatchObject({ type: 'x.y' });
  });

  test('a cancelled subscription stops receiving', async () => {
    const r = rabbit();
    await r.connect();
    const queue = { ...QUEUE, name: 'it.cancelled', routingKeys: ['usage.recorded'] };
    const handler = jest.fn(async () => {});
    const sub = await subscribe({ rabbit: r, queue, handler });
    expect(sub.consumerTag()).toEqual(expect.any(String));
    await sub.cancel();
    const publisher = createPublisher({ rabbit: r });
    await publisher.publish('usage.recorded', { tenantId: 't1', data: {} });
    const ch = await r.channel();
    const waiting = await ch.checkQueue('it.cancelled');
    expect(waiting.messageCount).toBe(1);
    expect(handler).not.toHaveBeenCalled();
  });
});
