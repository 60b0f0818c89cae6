'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { createPublisher } = require('../../../../shared/events');
const { silentLogger } = require('../../../../shared/utils/logger');
const { start } = require('../../../../services/auth/src/index');
const { serviceEnv, FAST_PASSWORDS } = require('../../../support/boot-service');
const { internalHeaders, INTERNAL_TOKEN } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'] });
let clock;
let auth;
let rabbit;
let publisher;
const applied = new Map();

function appliedOnce(id) {
  if (!applied.has(id)) applied.set(id, createDeferred());
  return applied.get(id).promise;
}

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  auth = await start({
    env: serviceEnv(ns),
    clock,
    logger: silentLogger,
    passwordOptions: FAST_PASSWORDS,
    onTenantEvent: (event) => {
      appliedOnce(event.id);
      applied.get(event.id).resolve(event);
    },
  });
  rabbit = createRabbit({ ...ns.env, LOG_LEVEL: 'silent' }, { logger: silentLogger, clock });
  await rabbit.connect();
  publisher = createPublisher({ rabbit, clock, appId: 'admin' });
});
ns.cleanup(async () => {
  await rabbit.close();
  await auth.stop();
});

let seq = 0;
async function publishTenantEvent(type, tenantId, data) {
  seq += 1;
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  clock.advance(1000);
  await publisher.publish(type, { tenantId, data }, { messageId: id });
  return appliedOnce(id);
}

async function issueKey(tenantId) {
  const res = await fetch(`${auth.url}/v1/keys`, { method: 'POST', headers: { ...internalHeaders({ tenantId, role: 'admin' }), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'k' }) });
  return (await res.json()).key;
}

async function verifyStatus(key) {
  const res = await fetch(`${auth.url}/v1/keys/verify`, { method: 'POST', headers: { 'x-internal-token': INTERNAL_TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
  await res.text();
  return res.status;
}

describe('tenant lifecycle events in auth', () => {
  test('a suspended tenant\'s keys answer 403 until it is reactivated', async () => {
    const key = await issueKey('t-sus');
    expect(await verifyStatus(key)).toBe(200);
    await publishTenantEvent('tenant.suspended', 't-sus', { reason: 'overdue', actor: 'key:OPS' });
    expect(await verifyStatus(key)).toBe(403);
    await publishTenantEvent('tenant.reactivated', 't-sus', { actor: 'key:OPS' });
    expect(await verifyStatus(key)).toBe(200);
  });

  test('a deleted tenant\'s keys are revoked for good and no new key can be issued', async () => {
    const key = await issueKey('t-del');
    expect(await verifyStatus(key)).toBe(200);
    await publishTenantEvent('tenant.deleted', 't-del', { actor: 'key:OPS', purgeAfter: '2024-06-01T00:00:00.000Z' });
    expect(await verifyStatus(key)).toBe(401);
    const { rows } = await auth.clients.postgres.query('users', "SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = 't-del' AND revoked_at IS NULL");
    expect(rows[0].n).toBe(0);
    await publishTenantEvent('tenant.reactivated', 't-del', { actor: 'key:OPS' });
    expect(await verifyStatus(key)).toBe(401);
    const res = await fetch(`${auth.url}/v1/keys`, { method: 'POST', headers: { ...internalHeaders({ tenantId: 't-del', role: 'admin' }), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'k' }) });
    expect(res.status).toBe(403);
    await res.text();
  });

  test('a redelivered event is applied once', async () => {
    await publishTenantEvent('tenant.suspended', 't-dup', { reason: 'x', actor: 'key:OPS' });
    const { rows } = await auth.clients.postgres.query('users', "SELECT count(*)::int AS n FROM auth_processed_messages WHERE consumer = 'auth.tenants'");
    const before = rows[0].n;
    const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
    applied.delete(id);
    await publisher.publish('tenant.suspended', { tenantId: 't-dup', data: { reason: 'x', actor: 'key:OPS' } }, { messageId: id });
    // A marker event behind the duplicate: once it is applied, the duplicate has been consumed.
    await publishTenantEvent('tenant.created', 't-marker', { name: 'm', plan: 'free', actor: 'key:OPS' });
    const after = await auth.clients.postgres.query('users', "SELECT count(*)::int AS n FROM auth_processed_messages WHERE consumer = 'auth.tenants'");
    expect(after.rows[0].n).toBe(before + 1);
    expect(applied.has(id)).toBe(false);
  });
});
