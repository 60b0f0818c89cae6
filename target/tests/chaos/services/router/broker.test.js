'use strict';

const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { waitForEvent } = require('../../../support/wait-for');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { tapEvents } = require('../../../support/event-tap');
const { bootService } = require('../../../support/boot-service');
const { call } = require('../../../support/http');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { createPublisher } = require('../../../../shared/events');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { record, tenantApi } = require('../../../unit/services/router/fixtures');

// The broker or the database goes away in the middle of routing: every subscriber still gets each
// event, and none gets it twice.

const closers = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const ns = useNamespace({ databases: ['pipeline'] });
let tap;
let conn;
let ch;

beforeAll(async () => {
  tap = await tapEvents(ns, 'router.routed');
  conn = await amqp.connect(ns.env.AMQP_URL);
  ch = await conn.createConfirmChannel();
  closers.push(() => tap.close(), () => conn.close().catch(() => {}));
});

async function proxyTo(url) {
  const target = new URL(url);
  const proxy = await createFaultProxy({ host: target.hostname, port: Number(target.port) });
  closers.push(() => proxy.close());
  return proxy;
}

/**
 * A router whose broker connection runs through a fault proxy, with a publisher that holds the
 * first publish of `holdCopy(envelope)` until the test releases it.
 */
async function routerBehindProxy(holdCopy) {
  const proxy = await proxyTo(ns.env.AMQP_URL);
  const clock = createFakeClock(Date.UTC(2024, 4, 1));
  const rabbit = createRabbit({ AMQP_URL: proxy.url(ns.env.AMQP_URL), SERVICE_NAME: 'router', RECONNECT_BASE_MS: 100, RECONNECT_MAX_MS: 100 }, { logger: silentLogger, clock });
  closers.push(() => rabbit.close());
  const real = createPublisher({ rabbit, clock, appId: 'router' });
  const reached = createDeferred();
  const release = createDeferred();
  let holding = true;
  const publisher = {
    async publish(key, envelope, options) {
      if (holding && holdCopy(envelope)) {
        holding = false;
        reached.resolve(envelope);
        await release.promise;
      }
      return real.publish(key, envelope, options);
    },
  };
  const router = await bootService('router', { ns, clock, consumers: true, clients: { rabbit, publisher } });
  closers.push(() => router.close());
  return { proxy, clock, rabbit, router, reached, release };
}

function publishRecord(envelope) {
  ch.publish('dn.events', 'transform.record', Buffer.from(JSON.stringify(envelope)), { messageId: envelope.id, persistent: true });
  return ch.waitForConfirms();
}

const copiesBySubscription = (eventId) => {
  const counts = {};
  for (const e of tap.events.filter((x) => x.data.sourceEventId === eventId)) counts[e.data.subscriptionId] = (counts[e.data.subscriptionId] || 0) + 1;
  return counts;
};

describe('broker cut in the middle of a fan-out', () => {
  test('after reconnecting, the subscribers not yet served get the event and the served one gets no second copy', async () => {
    let subs;
    const env = record({ tenantId: 'ch-cut', name: 'order.paid' });
    const r = await routerBehindProxy((copy) => subs && copy.data.subscriptionId === subs[1].id);
    subs = await tenantApi(r.router.app, 'ch-cut').setup('all', ['#', 'order.*', '*.paid']);
    const failed = waitForEvent(r.router.app.routerParts.events, 'failed', { filter: (e) => e.eventId === env.id });
    const handled = waitForEvent(r.router.app.routerParts.events, 'handled', { filter: (e) => e.eventId === env.id });
    await publishRecord(env);
    await r.reached.promise;
    const disconnected = waitForEvent(r.rabbit, 'disconnected');
    const scheduled = waitForEvent(r.rabbit, 'reconnect-scheduled');
    r.proxy.cut();
    await disconnected;
    r.release.resolve();
    expect((await failed).err.code).toMatch(/^DN_(AMQP_UNAVAILABLE|AMQP_CLOSED|EVENTS_PUBLISH_CLOSED)$/);
    const { delay } = await scheduled;
    await r.clock.advanceAsync(delay);
    const { outcome } = await handled;
    expect(outcome).toMatchObject({ status: 'routed', deadLettered: [] });
    await tap.until(() => Object.keys(copiesBySubscription(env.id)).length === 3);
    // A later event through the same router proves the tap has seen everything before it.
    const marker = record({ tenantId: 'ch-cut', name: 'marker.paid' });
    await publishRecord(marker);
    await tap.until(() => Object.keys(copiesBySubscription(marker.id)).length === 2);
    expect(copiesBySubscription(env.id)).toEqual({ [subs[0].id]: 1, [subs[1].id]: 1, [subs[2].id]: 1 });
    // Only one router consumes the queue in each test.
    await r.router.close();
    await r.rabbit.close();
  });
});

describe('consumer crash and redelivery', () => {
  test('a second router takes over the crashed one\'s delivery and serves only the missing subscribers', async () => {
    let subs;
    const env = record({ tenantId: 'ch-crash', name: 'signup' });
    const a = await routerBehindProxy((copy) => subs && copy.data.subscriptionId === subs[1].id);
    subs = await tenantApi(a.router.app, 'ch-crash').setup('all', ['#', 'signup', '*']);
    const failed = waitForEvent(a.router.app.routerParts.events, 'failed', { filter: (e) => e.eventId === env.id });
    await publishRecord(env);
    await a.reached.promise;
    // The first router loses the broker for good.
    a.proxy.refuse(true);
    const disconnected = waitForEvent(a.rabbit, 'disconnected');
    a.proxy.cut();
    await disconnected;
    a.release.resolve();
    await failed;

    const b = await bootService('router', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)), consumers: true });
    closers.push(() => b.close());
    await tap.until(() => Object.keys(copiesBySubscription(env.id)).length === 3);
    const marker = record({ tenantId: 'ch-crash', name: 'after' });
    const handled = waitForEvent(b.app.routerParts.events, 'handled', { filter: (e) => e.eventId === marker.id });
    await publishRecord(marker);
    await handled;
    await tap.until(() => Object.keys(copiesBySubscription(marker.id)).length === 2);
    expect(copiesBySubscription(env.id)).toEqual({ [subs[0].id]: 1, [subs[1].id]: 1, [subs[2].id]: 1 });
    await b.close();
    await a.router.close();
    await a.rabbit.close();
  });
});

describe('database outage', () => {
  test('while the database is unreachable the API answers 503 and an arriving event is routed once it is back', async () => {
    const pg = await proxyTo(ns.env.PIPELINE_DATABASE_URL);
    const clock = createFakeClock(Date.UTC(2024, 4, 1));
    const router = await bootService('router', { ns, clock, consumers: true, env: { PIPELINE_DATABASE_URL: pg.url(ns.env.PIPELINE_DATABASE_URL) } });
    closers.push(() => router.close());
    const api = tenantApi(router.app, 'ch-db');
    const [sub] = await api.setup('all', ['#']);
    const env = record({ tenantId: 'ch-db', name: 'late' });
    const failed = waitForEvent(router.app.routerParts.events, 'failed', { filter: (e) => e.eventId === env.id });
    const handled = waitForEvent(router.app.routerParts.events, 'handled', { filter: (e) => e.eventId === env.id });

    pg.refuse(true);
    pg.cut();
    const down = await call(router.app, { method: 'GET', url: '/v1/topics', headers: api.headers });
    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe('ROUTER_STORE_UNAVAILABLE');
    await publishRecord(env);
    await failed;
    pg.refuse(false);
    // The delivery comes back from the retry queue after its delay.
    expect((await handled).outcome).toMatchObject({ status: 'routed', published: [sub.id] });
    await tap.until(() => tap.events.some((e) => e.data.sourceEventId === env.id));
    expect(tap.events.filter((e) => e.data.sourceEventId === env.id)).toHaveLength(1);
    expect((await call(router.app, { method: 'GET', url: '/v1/topics', headers: api.headers })).statusCode).toBe(200);
    await router.close();
  });
});
