'use strict';

const { useNamespace } = require('../../support/namespace');
const { tapEvents } = require('../../support/event-tap');
const { waitForEvent } = require('../../support/wait-for');
const { createFaultProxy } = require('../../support/fault-proxy');
const { createFakeClock } = require('../../../shared/utils/clock');
const { startSegment, apiKey, viaGateway, eventBatch, allEmit } = require('./segment');

// The broker goes away in the middle of the pipeline and comes back: events accepted while it was
// gone are delivered after it returns, none is lost and none reaches a subscriber twice.
// Every service reaches RabbitMQ through one fault proxy; the tap that watches the output does not.
const ns = useNamespace({ databases: ['users', 'pipeline'] });
const BROKER_USERS = ['router', 'transform', 'ingestion'];
let clock;
let proxy;
let segment;
let tap;
let key;

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1, 12));
  const broker = new URL(ns.env.AMQP_URL);
  proxy = await createFaultProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
  segment = await startSegment(ns, { clock, env: { AMQP_URL: proxy.url(ns.env.AMQP_URL), OUTBOX_INTERVAL_MS: '1000' } });
  tap = await tapEvents(ns, 'router.routed');
  key = await apiKey(segment.services, 'tenant-acme');
  const topic = await viaGateway(segment.services, '/api/v1/router/topics', { key, method: 'POST', body: { name: 'checkouts' } });
  expect(topic.status).toBe(201);
  const sub = await viaGateway(segment.services, '/api/v1/router/topics/checkouts/subscriptions', { key, method: 'POST', body: { pattern: 'checkout.#' } });
  expect(sub.status).toBe(201);
});

ns.cleanup(async () => {
  if (tap) await tap.close();
  if (segment) await segment.stop();
  if (proxy) await proxy.close();
});

const routedIds = () => tap.events.map((e) => e.data.sourceEventId);
// The router reports an event handled once its copies are confirmed by the broker and recorded as
// sent. The tap sees a copy earlier, when the broker routes it: a cut between the two loses the
// confirm, and the router rightly publishes that copy again (same id, so subscribers drop it).
// Cutting only after every earlier event is handled keeps such copies out of the count below.
const handled = (events) => Promise.all(events.map((e) => waitForEvent(segment.services.router.app.routerParts.events, 'handled', { filter: (h) => h.eventId === e.eventId })));
const send = (events) => viaGateway(segment.services, '/api/v1/ingestion/events', { key, method: 'POST', body: { events }, headers: { 'x-schema-version': '2' } });

describe('a broker outage in the middle of the pipeline', () => {
  test('events accepted while the broker is gone are routed after it returns, each exactly once', async () => {
    const before = eventBatch('before', 4);
    const beforeHandled = handled(before);
    expect((await send(before)).status).toBe(202);
    await tap.until(() => before.every((e) => routedIds().includes(e.eventId)));
    await beforeHandled;

    // the broker goes away for every service at once
    const disconnected = allEmit(segment.services, BROKER_USERS, 'disconnected');
    proxy.refuse(true);
    proxy.cut();
    await disconnected;

    // ingestion keeps accepting: the events wait in its outbox
    const during = eventBatch('during', 6);
    const accepted = await send(during);
    expect(accepted.status).toBe(202);
    expect(accepted.body.eventIds).toEqual(during.map((e) => e.eventId));

    // the broker returns; each client's reconnect timer is due after one backoff step
    proxy.refuse(false);
    const reconnected = allEmit(segment.services, BROKER_USERS, 'reconnected');
    await clock.advanceAsync(100);
    await reconnected;
    // the outbox relay's next periodic run sends what waited
    await clock.advanceAsync(1000);

    await tap.until(() => during.every((e) => routedIds().includes(e.eventId)));
    // the barrier for copies still on their way, sent once everything else has arrived
    const after = eventBatch('after', 2);
    expect((await send(after)).status).toBe(202);
    await tap.until(() => after.every((e) => routedIds().includes(e.eventId)));

    const expected = [...before, ...during, ...after].map((e) => e.eventId).sort();
    expect([...routedIds()].sort()).toEqual(expected);
    for (const copy of tap.events) expect(copy.tenantId).toBe('tenant-acme');
  });
});
