'use strict';

const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { runMigrations } = require('../../../../shared/utils/migrate');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { waitForEvent } = require('../../../support/wait-for');
const { MIGRATIONS_DIR } = require('../../../../services/router/src/index');
const { record, tenantApi } = require('../../../unit/services/router/fixtures');

const ns = useNamespace({ databases: ['pipeline'] });
let router;
let tap;
let conn;
let ch;

beforeAll(async () => {
  const clock = createFakeClock(Date.UTC(2024, 4, 1));
  router = await bootService('router', { ns, clock, consumers: true });
  tap = await tapEvents(ns, 'router.routed');
  conn = await amqp.connect(ns.env.AMQP_URL);
  ch = await conn.createConfirmChannel();
});
ns.cleanup(async () => {
  await router.close();
  await tap.close();
  await conn.close().catch(() => {});
});

/** Publishes a transform.record like transform does, and resolves once the router is done with it. */
async function deliver(envelope) {
  const done = waitForEvent(router.app.routerParts.events, 'handled', { filter: (e) => e.eventId === envelope.id });
  ch.publish('dn.events', 'transform.record', Buffer.from(JSON.stringify(envelope)), { messageId: envelope.id, contentType: 'application/json', persistent: true });
  await ch.waitForConfirms();
  return (await done).outcome;
}

const copiesOf = (eventId) => tap.events.filter((e) => e.data.sourceEventId === eventId);
const openDeadLetters = async (api) => (await api.get('/v1/dead-letters')).json().items;

describe('storage', () => {
  test('migrations are recorded in router_migrations and a second run applies nothing', async () => {
    const { rows } = await router.postgres.query('pipeline', 'SELECT name FROM router_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(['1_topics.sql', '2_dead_letters.sql']);
    expect(await runMigrations(router.postgres.pool('pipeline'), MIGRATIONS_DIR, { table: 'router_migrations' })).toEqual([]);
  });

  test('topics and subscriptions are created, listed, read and deleted per tenant', async () => {
    const api = tenantApi(router.app, 't-crud');
    const created = await api.createTopic('orders', 'order events');
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'orders', description: 'order events', subscriptions: [] });
    expect((await api.createTopic('orders')).statusCode).toBe(409);
    const sub = await api.subscribe('orders', 'order.#', { ordered: true, keyField: 'properties.orderId' });
    expect(sub.statusCode).toBe(201);
    expect(sub.json()).toMatchObject({ topic: 'orders', pattern: 'order.#', ordered: true, keyField: 'properties.orderId' });
    expect((await api.get('/v1/topics')).json().items).toEqual([expect.objectContaining({ name: 'orders', subscriptionCount: 1 })]);
    expect((await api.get('/v1/topics/orders')).json().subscriptions).toEqual([sub.json()]);
    expect((await api.del(`/v1/topics/orders/subscriptions/${sub.json().id}`)).statusCode).toBe(204);
    expect((await api.del(`/v1/topics/orders/subscriptions/${sub.json().id}`)).statusCode).toBe(404);
    expect((await api.del('/v1/topics/orders')).statusCode).toBe(204);
    expect((await api.get('/v1/topics/orders')).statusCode).toBe(404);
    expect((await api.subscribe('orders', 'x')).statusCode).toBe(404);
  });

  test('bad subscriptions are refused with the reason', async () => {
    const api = tenantApi(router.app, 't-bad');
    await api.createTopic('t');
    const bad = await api.subscribe('t', 'a.(b|c)');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('ROUTER_PATTERN_INVALID');
    expect((await api.subscribe('t', 'a.#', { ordered: true })).json().code).toBe('ROUTER_INVALID_REQUEST');
    expect((await api.subscribe('t', 'a.#', { keyField: 'properties.x' })).json().code).toBe('ROUTER_INVALID_REQUEST');
    expect((await api.createTopic('Bad Name')).statusCode).toBe(400);
  });
});

describe('routing over the broker', () => {
  test('each matching subscription gets one router.routed copy, others none', async () => {
    const api = tenantApi(router.app, 't-route');
    const [checkout, pageview, any] = await api.setup('web', ['checkout.#', 'pageview', '*.completed']);
    const env = record({ tenantId: 't-route', name: 'checkout.completed', properties: { amount: 12 } });
    const outcome = await deliver(env);
    expect(outcome).toMatchObject({ status: 'routed', published: [checkout.id, any.id], deadLettered: [] });
    await tap.until(() => copiesOf(env.id).length === 2);
    expect(copiesOf(env.id).map((e) => e.data.subscriptionId).sort()).toEqual([checkout.id, any.id].sort());
    expect(copiesOf(env.id)[0]).toMatchObject({ type: 'router.routed', tenantId: 't-route', data: { topic: 'web', routingKey: 'checkout.completed', record: env.data } });
    expect(pageview.id).toBeDefined();
  });

  test('a redelivered event is not routed twice', async () => {
    const api = tenantApi(router.app, 't-dup');
    const [sub] = await api.setup('web', ['#']);
    const env = record({ tenantId: 't-dup' });
    await deliver(env);
    expect(await deliver(env)).toBeUndefined();
    const marker = record({ tenantId: 't-dup' });
    await deliver(marker);
    await tap.until(() => copiesOf(marker.id).length === 1);
    expect(copiesOf(env.id)).toHaveLength(1);
    expect(copiesOf(env.id)[0].data.subscriptionId).toBe(sub.id);
  });

  test('unroutable events are dead-lettered with their reason and replayed once routable', async () => {
    const api = tenantApi(router.app, 't-dead');
    const lost = record({ tenantId: 't-dead', name: 'signup' });
    expect(await deliver(lost)).toEqual({ status: 'unroutable', reason: 'no-topic' });
    await api.setup('web', ['pageview']);
    const unmatched = record({ tenantId: 't-dead', name: 'signup.done' });
    expect(await deliver(unmatched)).toEqual({ status: 'unroutable', reason: 'no-subscription' });
    const open = await openDeadLetters(api);
    expect(open.map((d) => [d.eventId, d.reason, d.subscriptionId])).toEqual([
      [lost.id, 'no-topic', null],
      [unmatched.id, 'no-subscription', null],
    ]);
    expect(open[0].envelope).toEqual(lost);

    const [signup] = await api.setup('accounts', ['signup.#']);
    const replay = await api.post('/v1/dead-letters/replay', { ids: open.map((d) => d.id) });
    expect(replay.json().results).toEqual([
      { id: open[0].id, replayed: true },
      { id: open[1].id, replayed: true },
    ]);
    await tap.until(() => copiesOf(lost.id).length === 1 && copiesOf(unmatched.id).length === 1);
    expect(copiesOf(lost.id)[0].data.subscriptionId).toBe(signup.id);
    expect(await openDeadLetters(api)).toEqual([]);
  });

  test('an event that breaks its contract is dead-lettered as invalid and not retried', async () => {
    const api = tenantApi(router.app, 't-poison');
    await api.setup('web', ['#']);
    const env = record({ tenantId: 't-poison' });
    env.data.mappingVersion = -1;
    expect(await deliver(env)).toEqual({ status: 'invalid' });
    // Nothing in an invalid event is trusted, its tenant included: it is the operators' to look at.
    expect(await openDeadLetters(api)).toEqual([]);
    const ops = tenantApi(router.app, 'platform', 'platform-admin');
    const dead = (await ops.get('/v1/dead-letters?tenantId=')).json().items.find((d) => d.eventId === env.id);
    expect(dead).toMatchObject({ tenantId: '', reason: 'invalid-event' });
    expect(dead.detail).toMatch(/mappingVersion/);
    expect((await ops.post('/v1/dead-letters/replay', { ids: [dead.id] })).json().results).toEqual([{ id: dead.id, replayed: false, reason: 'invalid-event' }]);
  });

  test('subscribing and unsubscribing take effect for the next event', async () => {
    const api = tenantApi(router.app, 't-cache');
    const [first] = await api.setup('web', ['pageview']);
    expect((await deliver(record({ tenantId: 't-cache' }))).published).toEqual([first.id]);
    const second = (await api.subscribe('web', '#')).json();
    expect((await deliver(record({ tenantId: 't-cache' }))).published).toEqual([first.id, second.id]);
    await api.del(`/v1/topics/web/subscriptions/${first.id}`);
    expect((await deliver(record({ tenantId: 't-cache' }))).published).toEqual([second.id]);
  });

  test('copies of an ordered subscription arrive in the order their events were published', async () => {
    const api = tenantApi(router.app, 't-order');
    const [sub] = await api.setup('orders', ['order.#'], { ordered: true, keyField: 'properties.orderId' });
    for (let i = 0; i < 60; i += 1) {
      const env = record({ tenantId: 't-order', name: 'order.step', properties: { orderId: `o${i % 3}`, step: i } });
      ch.publish('dn.events', 'transform.record', Buffer.from(JSON.stringify(env)), { messageId: env.id, persistent: true });
    }
    await ch.waitForConfirms();
    await tap.until(() => tap.events.filter((e) => e.data.subscriptionId === sub.id).length === 60);
    const copies = tap.events.filter((e) => e.data.subscriptionId === sub.id);
    for (const key of ['o0', 'o1', 'o2']) {
      const steps = copies.filter((e) => e.data.orderingKey === key).map((e) => e.data.record.properties.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(steps).toHaveLength(20);
    }
  });
});
