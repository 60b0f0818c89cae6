'use strict';

const { useNamespace } = require('../../support/namespace');
const { EventEmitter } = require('node:events');
const { waitForEvent } = require('../../support/wait-for');
const { publishedByAdmin } = require('../../support/event-tap');
const { createFakeClock } = require('../../../shared/utils/clock');
const { silentLogger } = require('../../../shared/utils/logger');
const auth = require('../../../services/auth/src/index');
const admin = require('../../../services/admin/src/index');
const gateway = require('../../../services/gateway/src/index');
const { serviceEnv, FAST_PASSWORDS } = require('../../support/boot-service');
const { internalHeaders } = require('../../support/http');

const ns = useNamespace({ databases: ['users'] });
let clock;
let services;
const applied = [];
const appliedSignal = new EventEmitter();
let opsKey;

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  const env = serviceEnv(ns, { RATE_LIMIT_BURST: '10000' });
  const a = await auth.start({ env, clock, logger: silentLogger, passwordOptions: FAST_PASSWORDS, onTenantEvent: (event) => {
    applied.push(event);
    appliedSignal.emit('applied');
  } });
  const m = await admin.start({ env, clock, logger: silentLogger });
  const g = await gateway.start({ env, clock, logger: silentLogger });
  services = { auth: a, admin: m, gateway: g };
  // The operator's bootstrap key, issued by auth itself (the gateway is not involved yet).
  const res = await fetch(`${a.url}/v1/keys`, {
    method: 'POST',
    headers: { ...internalHeaders({ tenantId: 'platform', role: 'platform-admin' }), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ops', role: 'platform-admin' }),
  });
  opsKey = (await res.json()).key;
});

ns.cleanup(async () => {
  await gateway.stop();
  await admin.stop();
  await auth.stop();
});

async function viaGateway(path, { method = 'GET', key = opsKey, body } = {}) {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  if (key) headers['x-api-key'] = key;
  const res = await fetch(`${services.gateway.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/**
 * Waits until auth has applied every event admin has published about `tenantId` (admin publishes
 * before it answers, so the count is known once the request has returned).
 */
async function appliedAll(tenantId) {
  const published = await publishedByAdmin(services.admin.clients.postgres, tenantId);
  while (applied.filter((e) => e.tenantId === tenantId).length < published) await waitForEvent(appliedSignal, 'applied');
}

async function keyOf(tenantId, role = 'admin') {
  const res = await fetch(`${services.auth.url}/v1/keys`, {
    method: 'POST',
    headers: { ...internalHeaders({ tenantId, role: 'owner' }), 'content-type': 'application/json' },
    body: JSON.stringify({ name: `${role}-key`, role }),
  });
  return (await res.json()).key;
}

describe('gateway, auth and admin together', () => {
  test('all three are healthy, ready and registered', async () => {
    for (const svc of Object.values(services)) {
      expect((await fetch(`${svc.url}/health`)).status).toBe(200);
      expect((await fetch(`${svc.url}/ready`)).status).toBe(200);
    }
    const registry = services.gateway.clients.registry;
    for (const name of ['gateway', 'auth', 'admin']) expect(await registry.lookup(name)).toHaveLength(1);
  });

  test('a request with a valid key goes through the gateway to admin and back', async () => {
    const res = await viaGateway('/api/v1/admin/tenants');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  test('requests without a key or with a tenant key are refused by the gateway or by admin', async () => {
    expect((await viaGateway('/api/v1/admin/tenants', { key: null })).status).toBe(401);
    const memberKey = await keyOf('t-someone', 'member');
    expect((await viaGateway('/api/v1/admin/tenants', { key: memberKey })).status).toBe(403);
  });

  test('a suspended tenant is refused at the gateway until admin reactivates it', async () => {
    expect((await viaGateway('/api/v1/admin/tenants', { method: 'POST', body: { id: 't-sus', name: 'Sus', plan: 'pro' } })).status).toBe(201);
    const key = await keyOf('t-sus');
    expect((await viaGateway('/api/v1/auth/keys', { key })).status).toBe(200);
    expect((await viaGateway('/api/v1/admin/tenants/t-sus/suspend', { method: 'POST', body: { reason: 'overdue' } })).status).toBe(200);
    await appliedAll('t-sus');
    const refused = await viaGateway('/api/v1/auth/keys', { key });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('AUTH_TENANT_SUSPENDED');
    await viaGateway('/api/v1/admin/tenants/t-sus/reactivate', { method: 'POST' });
    await appliedAll('t-sus');
    expect((await viaGateway('/api/v1/auth/keys', { key })).status).toBe(200);
  });

  test('deleting a tenant through admin revokes its keys at the gateway', async () => {
    expect((await viaGateway('/api/v1/admin/tenants', { method: 'POST', body: { id: 't-gone', name: 'Gone', plan: 'free' } })).status).toBe(201);
    const key = await keyOf('t-gone');
    expect((await viaGateway('/api/v1/auth/keys', { key })).status).toBe(200);
    expect((await viaGateway('/api/v1/admin/tenants/t-gone', { method: 'DELETE' })).status).toBe(202);
    await appliedAll('t-gone');
    const res = await viaGateway('/api/v1/auth/keys', { key });
    expect(res.status).toBe(401);
  });

  test('a tenant admin manages keys and logs in through the gateway', async () => {
    const adminKey = await keyOf('t-team', 'admin');
    const issued = await viaGateway('/api/v1/auth/keys', { method: 'POST', key: adminKey, body: { name: 'ingest', role: 'member' } });
    expect(issued.status).toBe(201);
    expect((await viaGateway('/api/v1/auth/keys', { key: issued.body.key })).status).toBe(403);
    const user = await viaGateway('/api/v1/auth/users', { method: 'POST', key: adminKey, body: { email: 'ops@team.test', password: 'team-password-1', role: 'member' } });
    expect(user.status).toBe(201);
    const login = await viaGateway('/api/v1/auth/sessions', { method: 'POST', key: null, body: { email: 'ops@team.test', password: 'team-password-1' } });
    expect(login.status).toBe(201);
    expect(login.body.tenantId).toBe('t-team');
  });

  test('the audit log records the operator behind every change made through the gateway', async () => {
    const res = await viaGateway('/api/v1/admin/audit?tenantId=t-sus');
    expect(res.body.items.map((i) => i.action)).toEqual(['tenant.reactivate', 'tenant.suspend', 'tenant.create']);
    expect(new Set(res.body.items.map((i) => i.actor)).size).toBe(1);
    expect(res.body.items[0].actor).toMatch(/^key:[A-Za-z0-9]{16}$/);
  });
});
