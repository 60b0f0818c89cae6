'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { promiseState } = require('../../../support/deferred');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders, INTERNAL_TOKEN } = require('../../../support/http');
const infra = require('../../../support/infra-urls');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let clock;
let proxy;
let auth;

beforeAll(async () => {
  clock = createFakeClock(1_700_000_000_000);
  const pg = new URL(infra.postgresAdminUrl);
  proxy = await createFaultProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  auth = await bootService('auth', { ns, clock, env: { USERS_DATABASE_URL: proxy.url(ns.env.USERS_DATABASE_URL), DB_TIMEOUT_MS: '2000' } });
});
ns.cleanup(async () => {
  proxy.stall(false);
  proxy.refuse(false);
  await auth.close();
  await proxy.close();
});

async function settleWithClock(promise, stepMs, maxSteps = 50) {
  for (let i = 0; i < maxSteps && (await promiseState(promise)) === 'pending'; i += 1) await clock.advanceAsync(stepMs);
  return promise;
}

const verify = (key) => call(auth.app, { method: 'POST', url: '/v1/keys/verify', headers: { 'x-internal-token': INTERNAL_TOKEN }, payload: { key } });
const issue = async (tenantId = 't-acme') => (await call(auth.app, { method: 'POST', url: '/v1/keys', headers: internalHeaders({ tenantId, role: 'admin' }), payload: { name: 'k' } })).json();

describe('auth when PostgreSQL misbehaves', () => {
  test('a stalled database turns an uncached verification into 503 at the deadline, while cached keys keep working', async () => {
    const cached = await issue();
    const uncached = await issue();
    expect((await verify(cached.key)).statusCode).toBe(200);
    proxy.stall(true);
    try {
      expect((await verify(cached.key)).statusCode).toBe(200);
      const res = await settleWithClock(verify(uncached.key), 500);
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('AUTH_STORE_UNAVAILABLE');
    } finally {
      proxy.stall(false);
    }
    expect((await verify(uncached.key)).statusCode).toBe(200);
  });

  test('a refused database makes readiness fail, and it recovers when the database is back', async () => {
    proxy.refuse(true);
    proxy.cut();
    try {
      const ready = await settleWithClock(call(auth.app, '/ready'), 500);
      expect(ready.statusCode).toBe(503);
      const key = await settleWithClock(call(auth.app, { method: 'POST', url: '/v1/keys', headers: internalHeaders({ role: 'admin' }), payload: { name: 'k' } }), 500);
      expect(key.statusCode).toBe(503);
    } finally {
      proxy.refuse(false);
    }
    expect((await call(auth.app, '/ready')).statusCode).toBe(200);
  });

  test('a rotation whose insert fails leaves the old key working and creates nothing', async () => {
    const old = await issue('t-rot');
    // A real database fault on the insert of the new key.
    await auth.postgres.query('users', `
      CREATE FUNCTION refuse_rotation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'disk full'; END $$;
      CREATE TRIGGER refuse_rotation BEFORE INSERT ON api_keys FOR EACH ROW
        WHEN (NEW.rotated_from IS NOT NULL) EXECUTE FUNCTION refuse_rotation();`);
    try {
      const res = await call(auth.app, { method: 'POST', url: `/v1/keys/${old.id}/rotate`, headers: internalHeaders({ tenantId: 't-rot', role: 'admin' }) });
      expect(res.statusCode).toBe(500);
      expect((await verify(old.key)).statusCode).toBe(200);
      const { rows } = await auth.postgres.query('users', "SELECT id, revoked_at FROM api_keys WHERE tenant_id = 't-rot'");
      expect(rows).toEqual([{ id: old.id, revoked_at: null }]);
    } finally {
      await auth.postgres.query('users', 'DROP TRIGGER refuse_rotation ON api_keys; DROP FUNCTION refuse_rotation()');
    }
  });

  test('a rotation whose revocation of the old key fails leaves the old key working and creates nothing', async () => {
    const old = await issue('t-rot-revoke');
    // A real database fault on the revocation of the old key.
    await auth.postgres.query('users', `
      CREATE FUNCTION refuse_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'disk full'; END $$;
      CREATE TRIGGER refuse_revocation BEFORE UPDATE ON api_keys FOR EACH ROW
        WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION refuse_revocation();`);
    try {
      const res = await call(auth.app, { method: 'POST', url: `/v1/keys/${old.id}/rotate`, headers: internalHeaders({ tenantId: 't-rot-revoke', role: 'admin' }) });
      expect(res.statusCode).toBe(500);
      expect((await verify(old.key)).statusCode).toBe(200);
      const { rows } = await auth.postgres.query('users', "SELECT id, revoked_at FROM api_keys WHERE tenant_id = 't-rot-revoke'");
      expect(rows).toEqual([{ id: old.id, revoked_at: null }]);
    } finally {
      await auth.postgres.query('users', 'DROP TRIGGER refuse_revocation ON api_keys; DROP FUNCTION refuse_revocation()');
    }
  });
});
