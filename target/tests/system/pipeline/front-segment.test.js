'use strict';

const { useNamespace } = require('../../support/namespace');
const { tapEvents } = require('../../support/event-tap');
const { createFakeClock } = require('../../../shared/utils/clock');
const { startSegment, apiKey, viaGateway, eventBatch } = require('./segment');

// An event sent through the gateway is validated by ingestion, mapped by transform and routed by
// router to the subscriptions that match it: once each, with the event's id and tenant intact.
const ns = useNamespace({ databases: ['users', 'pipeline'] });
let segment;
let tap;
let acme;
let globex;

beforeAll(async () => {
  const clock = createFakeClock(Date.UTC(2024, 4, 1, 12));
  segment = await startSegment(ns, { clock });
  tap = await tapEvents(ns, 'router.routed');
  acme = await apiKey(segment.services, 'tenant-acme');
  globex = await apiKey(segment.services, 'tenant-globex');
  for (const [key, pattern] of [[acme, 'checkout.#'], [acme, 'signup.*'], [globex, '#']]) {
    const topic = `t-${pattern.replace(/[^a-z]/g, '')}`;
    const created = await viaGateway(segment.services, '/api/v1/router/topics', { key, method: 'POST', body: { name: topic } });
    expect(created.status).toBe(201);
    const sub = await viaGateway(segment.services, `/api/v1/router/topics/${topic}/subscriptions`, { key, method: 'POST', body: { pattern } });
    expect(sub.status).toBe(201);
  }
  // acme's checkout events are mapped: the plan dimension is renamed
  const mapped = await viaGateway(segment.services, '/api/v1/transform/mappings/checkout.completed', {
    key: acme, method: 'PUT', body: { rename: { 'dimensions.plan': 'dimensions.tier' } },
  });
  expect(mapped.status).toBe(201);
});

ns.cleanup(async () => {
  if (tap) await tap.close();
  if (segment) await segment.stop();
});

function routedFor(tenantId) {
  return tap.events.filter((e) => e.tenantId === tenantId);
}

function routedIds(tenantId) {
  return routedFor(tenantId).map((e) => e.data.sourceEventId);
}

describe('the front of the pipeline, gateway to router', () => {
  test('events a tenant sends are routed once each, ids, tenant and event time intact, mapping applied', async () => {
    const events = eventBatch('acme-a', 5);
    const sent = await viaGateway(segment.services, '/api/v1/ingestion/events', { key: acme, method: 'POST', body: { events }, headers: { 'x-schema-version': '2' } });
    expect(sent.status).toBe(202);
    expect(sent.body.eventIds).toEqual(events.map((e) => e.eventId));
    await tap.until(() => events.every((e) => routedIds('tenant-acme').includes(e.eventId)));
    // a later request is a barrier for copies still on their way: a second copy of an event
    // would be routed by then (transform may reorder, so the barrier comes after all five)
    const barrier = await viaGateway(segment.services, '/api/v1/ingestion/events', { key: acme, method: 'POST', body: { events: eventBatch('acme-barrier', 1) }, headers: { 'x-schema-version': '2' } });
    expect(barrier.status).toBe(202);
    await tap.until(() => routedIds('tenant-acme').includes('acme-barrier-1'));

    const routed = routedFor('tenant-acme').filter((e) => e.data.sourceEventId.startsWith('acme-a-'));
    expect(routed.map((e) => e.data.sourceEventId).sort()).toEqual(events.map((e) => e.eventId).sort());
    for (const copy of routed) {
      const original = events.find((e) => e.eventId === copy.data.sourceEventId);
      expect(copy.type).toBe('router.routed');
      expect(copy.occurredAt).toBe(original.ts);
      expect(copy.data.record).toMatchObject({ eventId: original.eventId, name: 'checkout.completed', properties: original.properties });
      expect(copy.data.record.dimensions).toEqual({ country: original.dimensions.country, tier: 'pro' });
    }
  });

  test('a tenant\'s events reach only that tenant\'s subscriptions, and only the matching ones', async () => {
    const acmeSignup = { ...eventBatch('acme-s', 1)[0], name: 'signup.completed' };
    const acmeOther = { ...eventBatch('acme-o', 1)[0], name: 'page.viewed' };
    const globexEvents = eventBatch('globex-a', 2);
    expect((await viaGateway(segment.services, '/api/v1/ingestion/events', { key: acme, method: 'POST', body: { events: [acmeSignup, acmeOther] } })).status).toBe(202);
    expect((await viaGateway(segment.services, '/api/v1/ingestion/events', { key: globex, method: 'POST', body: { events: globexEvents } })).status).toBe(202);
    await tap.until(() => routedIds('tenant-acme').includes('acme-s-1') && routedFor('tenant-globex').length >= 2);
    const barrier = eventBatch('acme-barrier2', 1);
    expect((await viaGateway(segment.services, '/api/v1/ingestion/events', { key: acme, method: 'POST', body: { events: barrier } })).status).toBe(202);
    await tap.until(() => routedIds('tenant-acme').includes('acme-barrier2-1'));

    const acmeIds = routedFor('tenant-acme').map((e) => e.data.sourceEventId);
    expect(acmeIds.filter((id) => id === 'acme-s-1')).toHaveLength(1);
    expect(acmeIds).not.toContain('acme-o-1'); // no acme pattern matches page.viewed
    expect(routedFor('tenant-globex').map((e) => e.data.sourceEventId).sort()).toEqual(['globex-a-1', 'globex-a-2']);
    expect(tap.events.filter((e) => e.data.sourceEventId.startsWith('globex-') && e.tenantId !== 'tenant-globex')).toEqual([]);
  });
});
