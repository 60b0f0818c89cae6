'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { waitForEvent } = require('../../../support/wait-for');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { tapEvents, publishedByAdmin } = require('../../../support/event-tap');
const { call, internalHeaders } = require('../../../support/http');
const infra = require('../../../support/infra-urls');


const ns = useNamespace({ databases: ['users'] });
let clock;
let amqpProxy;
let pgProxy;
let admin;
let tap;
const ops = internalHeaders({ tenantId: 'platform', role: 'platform-admin' });

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  const amqpUrl = new URL(infra.amqpUrl);
  const pgUrl = new URL(infra.postgresAdminUrl);
  amqpProxy = await createFaultProxy({ host: amqpUrl.hostname, port: Number(amqpUrl.port || 5672) });
  pgProxy = await createFaultProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  tap = await tapEvents(ns, 'tenant.#');
  admin = await bootService('admin', { ns, clock, env: { AMQP_URL: amqpProxy.url(ns.env.AMQP_URL), USERS_DATABASE_URL: pgProxy.url(ns.env.USERS_DATABASE_URL) } });
});
ns.cleanup(async () => {
  amqpProxy.refuse(false);
  pgProxy.refuse(false);
  await admin.close();
  await tap.close();
  await amqpProxy.close();
  await pgProxy.close();
});

/** The tenant's events, once the tap has received every one admin has published about it. */
async function publishedEventsOf(tenantId) {
  const published = await publishedByAdmin(admin.postgres, tenantId);
  const eventsOf = () => tap.events.filter((e) => e.tenantId === tenantId).map((e) => e.type);
  await tap.until(() => eventsOf().length >= published);
  return eventsOf();
}

describe('admin when its backing servers fail', () => {
  test('a lifecycle change made while the broker is down is kept in the outbox and published once it is back', async () => {
    await call(admin.app, { method: 'POST', url: '/admin/tenants', headers: ops, payload: { id: 't-out', name: 'Out', plan: 'pro' } });
    expect(await publishedEventsOf('t-out')).toEqual(['tenant.created']);
    amqpProxy.refuse(true);
    const lost = waitForEvent(admin.rabbit, 'disconnected');
    amqpProxy.cut();
    await lost;
    const res = await call(admin.app, { method: 'POST', url: '/admin/tenants/t-out/suspend', headers: ops, payload: { reason: 'fraud check' } });
    expect(res.statusCode).toBe(200);
    expect(await admin.app.outbox.pending()).toBe(1);

    amqpProxy.refuse(false);
    // Drive the client's backoff timer until an attempt succeeds; each attempt ends in an event.
    for (let attempt = 0; attempt < 20 && !admin.rabbit.isConnected(); attempt += 1) {
      const outcome = Promise.race([waitForEvent(admin.rabbit, 'reconnected'), waitForEvent(admin.rabbit, 'reconnect-failed')]);
      clock.advance(60_000);
      await outcome;
    }
    expect(admin.rabbit.isConnected()).toBe(true);
    expect(await admin.app.outbox.flush()).toBe(1);
    expect(await publishedEventsOf('t-out')).toEqual(['tenant.created', 'tenant.suspended']);
    expect(await admin.app.outbox.pending()).toBe(0);
  });

  test('a lost database connection answers 503, and the next request after recovery succeeds', async () => {
    pgProxy.refuse(true);
    pgProxy.cut();
    try {
      const res = await call(admin.app, { url: '/admin/tenants', headers: ops });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('ADMIN_STORE_UNAVAILABLE');
    } finally {
      pgProxy.refuse(false);
    }
    const again = await call(admin.app, { url: '/admin/tenants', headers: ops });
    expect(again.statusCode).toBe(200);
  });
});
