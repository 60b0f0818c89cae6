'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { DAY_MS } = require('../../../../services/admin/src/retention');
const { bootService } = require('../../../support/boot-service');
const { tapEvents, publishedByAdmin } = require('../../../support/event-tap');
const { call, internalHeaders } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'] });
let clock;
let admin;
let tap;
const ops = internalHeaders({ tenantId: 'platform', role: 'platform-admin', keyId: 'OPSKEY0000000000' });

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  tap = await tapEvents(ns, 'tenant.#');
  admin = await bootService('admin', { ns, clock });
});
ns.cleanup(async () => {
  await admin.close();
  await tap.close();
});

const create = (id, plan = 'pro') => call(admin.app, { method: 'POST', url: '/admin/tenants', headers: ops, payload: { id, name: `Tenant ${id}`, plan } });
const eventsOf = (tenantId) => tap.events.filter((e) => e.tenantId === tenantId).map((e) => e.type);

/** The tenant's events, once the tap has received every one admin has published about it. */
async function publishedEventsOf(tenantId) {
  const published = await publishedByAdmin(admin.postgres, tenantId);
  await tap.until(() => eventsOf(tenantId).length >= published);
  return eventsOf(tenantId);
}

describe('tenant lifecycle', () => {
  test('creating a tenant records it, audits it and publishes tenant.created', async () => {
    const res = await create('t-life');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 't-life', plan: 'pro', status: 'active' });
    expect(await publishedEventsOf('t-life')).toEqual(['tenant.created']);
    expect(tap.events.find((e) => e.tenantId === 't-life').data).toEqual({ name: 'Tenant t-life', plan: 'pro', actor: 'key:OPSKEY0000000000' });
    expect((await create('t-life')).statusCode).toBe(409);
  });

  test('suspend and reactivate publish their events; invalid transitions are 409', async () => {
    await create('t-sus');
    const suspended = await call(admin.app, { method: 'POST', url: '/admin/tenants/t-sus/suspend', headers: ops, payload: { reason: 'payment overdue' } });
    expect(suspended.json().status).toBe('suspended');
    const again = await call(admin.app, { method: 'POST', url: '/admin/tenants/t-sus/suspend', headers: ops, payload: { reason: 'x' } });
    expect(again.statusCode).toBe(409);
    const back = await call(admin.app, { method: 'POST', url: '/admin/tenants/t-sus/reactivate', headers: ops });
    expect(back.json().status).toBe('active');
    expect(await publishedEventsOf('t-sus')).toEqual(['tenant.created', 'tenant.suspended', 'tenant.reactivated']);
  });

  test('deleting a tenant sets its purge date by plan and publishes tenant.deleted', async () => {
    await create('t-del', 'free');
    const res = await call(admin.app, { method: 'DELETE', url: '/admin/tenants/t-del', headers: ops });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'deleted', purgeAfter: new Date(clock.now() + 7 * DAY_MS).toISOString() });
    expect(await publishedEventsOf('t-del')).toEqual(['tenant.created', 'tenant.deleted']);
    const deleted = tap.events.find((e) => e.tenantId === 't-del' && e.type === 'tenant.deleted');
    expect(deleted.data.purgeAfter).toBe(res.json().purgeAfter);
    expect(await admin.app.outbox.pending()).toBe(0);
  });

  test('purge removes deleted tenants only after their retention, and never under legal hold', async () => {
    await create('t-p1', 'free');
    await create('t-p2', 'free');
    await call(admin.app, { method: 'DELETE', url: '/admin/tenants/t-p1', headers: ops });
    await call(admin.app, { method: 'DELETE', url: '/admin/tenants/t-p2', headers: ops });
    await call(admin.app, { method: 'PUT', url: '/admin/tenants/t-p2/legal-hold', headers: ops, payload: { hold: true } });
    clock.advance(7 * DAY_MS - 1);
    expect((await call(admin.app, { method: 'POST', url: '/admin/tenants/purge', headers: ops })).json().purged).not.toContain('t-p1');
    clock.advance(1);
    const purged = (await call(admin.app, { method: 'POST', url: '/admin/tenants/purge', headers: ops })).json().purged;
    expect(purged).toContain('t-p1');
    expect(purged).not.toContain('t-p2');
    expect((await call(admin.app, { url: '/admin/tenants/t-p1', headers: ops })).json().status).toBe('purged');
  });
});

describe('quotas, flags and audit', () => {
  test('usage is granted up to the quota and refused beyond it', async () => {
    await create('t-q', 'free');
    await call(admin.app, { method: 'PUT', url: '/admin/tenants/t-q/quotas/pipelines', headers: ops, payload: { limit: 5 } });
    const use = (amount) => call(admin.app, { method: 'POST', url: '/admin/tenants/t-q/usage/pipelines', headers: ops, payload: { amount } });
    expect((await use(3)).json()).toEqual({ name: 'pipelines', limit: 5, used: 3, remaining: 2 });
    expect((await use(3)).statusCode).toBe(429);
    expect((await use(2)).json().remaining).toBe(0);
    const quotas = (await call(admin.app, { url: '/admin/tenants/t-q/quotas', headers: ops })).json().items;
    expect(quotas.find((q) => q.name === 'pipelines')).toEqual({ name: 'pipelines', limit: 5, used: 5, remaining: 0 });
    expect(quotas.find((q) => q.name === 'dashboards')).toEqual({ name: 'dashboards', limit: 5, used: 0, remaining: 5 });
  });

  test('feature flags evaluate overrides, rollout and default', async () => {
    const put = await call(admin.app, { method: 'PUT', url: '/admin/flags/new-ui', headers: ops, payload: { enabled: false, rolloutPercent: 0, description: 'new console' } });
    expect(put.json()).toMatchObject({ key: 'new-ui', enabled: false, rolloutPercent: 0 });
    await call(admin.app, { method: 'PUT', url: '/admin/flags/new-ui/tenants/t-life', headers: ops, payload: { enabled: true } });
    const on = await call(admin.app, { url: '/admin/flags/new-ui/evaluate?tenantId=t-life', headers: ops });
    expect(on.json()).toEqual({ key: 'new-ui', tenantId: 't-life', enabled: true, reason: 'override' });
    const off = await call(admin.app, { url: '/admin/flags/new-ui/evaluate?tenantId=t-sus', headers: ops });
    expect(off.json()).toMatchObject({ enabled: false, reason: 'default' });
    expect((await call(admin.app, { url: '/admin/flags/missing/evaluate?tenantId=t-sus', headers: ops })).statusCode).toBe(404);
  });

  test('the audit log lists actions newest first, per tenant, page by page', async () => {
    const page1 = (await call(admin.app, { url: '/admin/audit?tenantId=t-sus&limit=2', headers: ops })).json();
    expect(page1.items.map((i) => i.action)).toEqual(['tenant.reactivate', 'tenant.suspend']);
    expect(page1.items[1]).toMatchObject({ actor: 'key:OPSKEY0000000000', details: { reason: 'payment overdue' } });
    const page2 = (await call(admin.app, { url: `/admin/audit?tenantId=t-sus&limit=2&before=${page1.nextBefore}`, headers: ops })).json();
    expect(page2.items.map((i) => i.action)).toEqual(['tenant.create']);
    expect(page2.nextBefore).toBeNull();
  });

  test('tenants are listed page by page with a cursor and a status filter', async () => {
    const first = (await call(admin.app, { url: '/admin/tenants?limit=3', headers: ops })).json();
    expect(first.items).toHaveLength(3);
    const second = (await call(admin.app, { url: `/admin/tenants?limit=3&cursor=${first.nextCursor}`, headers: ops })).json();
    expect(second.items[0].id > first.items[2].id).toBe(true);
    const deleted = (await call(admin.app, { url: '/admin/tenants?status=deleted', headers: ops })).json();
    // t-del and t-p1 were purged by the retention test; t-p2 is under legal hold.
    expect(deleted.items.map((t) => t.id)).toEqual(['t-p2']);
  });

  test('health and readiness answer outside the admin guard', async () => {
    expect((await call(admin.app, '/health')).json()).toEqual({ status: 'ok', service: 'admin' });
    expect((await call(admin.app, '/ready')).json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', outboxPending: 0 } });
  });
});
