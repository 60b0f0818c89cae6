'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService, testKeyring } = require('../../../support/boot-service');
const { call, internalHeaders, INTERNAL_TOKEN } = require('../../../support/http');
const { loadKeyring } = require('../../../../services/auth/src/signingKeys');
const { runMigrations } = require('../../../../shared/utils/migrate');
const { MIGRATIONS_DIR } = require('../../../../services/auth/src/index');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let clock;
let auth;

beforeAll(async () => {
  clock = createFakeClock(1_700_000_000_000);
  auth = await bootService('auth', { ns, clock });
});
ns.cleanup(async () => {
  await auth.close();
});

const admin = (tenantId = 't-acme') => internalHeaders({ tenantId, role: 'admin' });
const verify = (key) => call(auth.app, { method: 'POST', url: '/v1/keys/verify', headers: { 'x-internal-token': INTERNAL_TOKEN }, payload: { key } });
async function issue(tenantId = 't-acme', body = { name: 'ci' }) {
  const res = await call(auth.app, { method: 'POST', url: '/v1/keys', headers: admin(tenantId), payload: body });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('api keys', () => {
  test('an issued key is shown once and verifies to its principal', async () => {
    const created = await issue('t-acme', { name: 'ingest', role: 'member', scopes: ['data:write'] });
    expect(created.key).toMatch(/^dnk_/);
    const res = await verify(created.key);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ tenantId: 't-acme', keyId: created.id, role: 'member', scopes: ['data:write'] });
    const list = await call(auth.app, { url: '/v1/keys', headers: admin() });
    const listed = list.json().items.find((k) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'ingest', revokedAt: null });
    expect(listed).not.toHaveProperty('key');
  });

  test('a revoked key stops verifying at once, even though it was cached', async () => {
    const created = await issue();
    expect((await verify(created.key)).statusCode).toBe(200);
    const revoke = await call(auth.app, { method: 'DELETE', url: `/v1/keys/${created.id}`, headers: admin() });
    expect(revoke.statusCode).toBe(204);
    const res = await verify(created.key); // no time passes: a cache entry must not outlive the revocation
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_INVALID_KEY');
  });

  test('a verified key is served from the cache until its entry expires', async () => {
    const created = await issue();
    expect((await verify(created.key)).statusCode).toBe(200);
    // Revoked behind auth's back (no purge): only the cache can still answer 200.
    await auth.postgres.query('users', 'UPDATE api_keys SET revoked_at = now() WHERE id = $1', [created.id]);
    clock.advance(auth.config.KEY_CACHE_TTL_MS - 1);
    expect((await verify(created.key)).statusCode).toBe(200);
    clock.advance(1);
    const res = await verify(created.key);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_INVALID_KEY');
  });

  test('rotation returns a new working key and retires the old one', async () => {
    const created = await issue();
    await verify(created.key);
    const rotated = await call(auth.app, { method: 'POST', url: `/v1/keys/${created.id}/rotate`, headers: admin() });
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json()).toMatchObject({ rotatedFrom: created.id, name: 'ci' });
    expect((await verify(rotated.json().key)).statusCode).toBe(200);
    expect((await verify(created.key)).statusCode).toBe(401);
    const again = await call(auth.app, { method: 'POST', url: `/v1/keys/${created.id}/rotate`, headers: admin() });
    expect(again.statusCode).toBe(409);
  });

  test('keys of another tenant cannot be listed, rotated or revoked', async () => {
    const created = await issue('t-other');
    const rotate = await call(auth.app, { method: 'POST', url: `/v1/keys/${created.id}/rotate`, headers: admin('t-acme') });
    expect(rotate.statusCode).toBe(404);
    const revoke = await call(auth.app, { method: 'DELETE', url: `/v1/keys/${created.id}`, headers: admin('t-acme') });
    expect(revoke.statusCode).toBe(404);
    const list = await call(auth.app, { url: '/v1/keys', headers: admin('t-acme') });
    expect(list.json().items.map((k) => k.id)).not.toContain(created.id);
  });
});

describe('sessions, users and teams', () => {
  test('a user created by a tenant admin logs in and the session names them', async () => {
    const user = await call(auth.app, { method: 'POST', url: '/v1/users', headers: admin(), payload: { email: 'Ada@Example.com', password: 'analytical-engine', role: 'member' } });
    expect(user.statusCode).toBe(201);
    expect(user.json().email).toBe('ada@example.com');
    const login = await call(auth.app, { method: 'POST', url: '/v1/sessions', payload: { email: 'ada@example.com', password: 'analytical-engine' } });
    expect(login.statusCode).toBe(201);
    const current = await call(auth.app, { url: '/v1/sessions/current', headers: { authorization: `Bearer ${login.json().token}` } });
    expect(current.json()).toMatchObject({ userId: user.json().id, tenantId: 't-acme', role: 'member' });
  });

  test('team members can list their team', async () => {
    const u = await call(auth.app, { method: 'POST', url: '/v1/users', headers: admin(), payload: { email: 'grace@example.com', password: 'compiler-1952', role: 'member' } });
    const team = await call(auth.app, { method: 'POST', url: '/v1/teams', headers: admin(), payload: { name: 'analytics' } });
    expect(team.statusCode).toBe(201);
    const add = await call(auth.app, { method: 'POST', url: `/v1/teams/${team.json().id}/members`, headers: admin(), payload: { userId: u.json().id, role: 'viewer' } });
    expect(add.statusCode).toBe(201);
    const login = await call(auth.app, { method: 'POST', url: '/v1/sessions', payload: { email: 'grace@example.com', password: 'compiler-1952' } });
    const members = await call(auth.app, { url: `/v1/teams/${team.json().id}/members`, headers: { authorization: `Bearer ${login.json().token}` } });
    expect(members.statusCode).toBe(200);
    expect(members.json().items).toEqual([{ userId: u.json().id, email: 'grace@example.com', role: 'viewer' }]);
  });

  test('permission checks answer for roles', async () => {
    const check = (role, permission) => call(auth.app, { method: 'POST', url: '/v1/permissions/check', headers: { 'x-internal-token': INTERNAL_TOKEN }, payload: { role, permission } });
    expect((await check('member', 'data:write')).json()).toEqual({ allowed: true });
    expect((await check('viewer', 'keys:write')).json()).toEqual({ allowed: false });
  });
});

describe('auth storage', () => {
  test('migrations are recorded and a second run applies nothing', async () => {
    await expect(runMigrations(auth.postgres.pool('users'), MIGRATIONS_DIR, { table: 'auth_migrations' })).resolves.toEqual([]);
  });

  test('the signing keyring is created once and found by later boots', async () => {
    const fixture = testKeyring();
    const generate = jest.fn(async () => ({ privateKey: fixture.privateKey, publicKey: fixture.publicKey }));
    let n = 0;
    const kidFactory = () => `kid-${(n += 1)}`;
    const [a, b] = await Promise.all([loadKeyring({ postgres: auth.postgres, clock, generate, kidFactory }), loadKeyring({ postgres: auth.postgres, clock, generate, kidFactory })]);
    expect(a.signer.kid).toBe(b.signer.kid);
    const c = await loadKeyring({ postgres: auth.postgres, clock, generate, kidFactory });
    expect(c.signer.kid).toBe(a.signer.kid);
    const { rows } = await auth.postgres.query('users', 'SELECT count(*)::int AS n FROM signing_keys');
    expect(rows[0].n).toBe(1);
  });

  test('health and readiness answer', async () => {
    expect((await call(auth.app, '/health')).json()).toEqual({ status: 'ok', service: 'auth' });
    expect((await call(auth.app, '/ready')).json()).toEqual({ status: 'ready', checks: { postgres: 'ok' } });
  });
});
