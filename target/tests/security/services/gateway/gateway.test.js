'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { redisAndRegistry, bootService } = require('../../../support/boot-service');
const { startUpstream, call, INTERNAL_TOKEN } = require('../../../support/http');

const ns = useNamespace({ databases: [], rabbit: false });
const KEY = `dnk_AAAAAAAAAAAAAAAA_${'a'.repeat(43)}`;
const PRINCIPAL = { tenantId: 't-a', keyId: 'AAAAAAAAAAAAAAAA', role: 'member', scopes: [] };

let clock;
let auth;
let upstream;
let redis;
let registry;
const apps = [];

async function gatewayWith(env = {}) {
  const { app } = await bootService('gateway', { ns, clock, clients: { redis, registry }, env: { RATE_LIMIT_BURST: '1000', ...env } });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  clock = createFakeClock(1_700_000_000_000);
  auth = await startUpstream((req) => {
    const { key } = JSON.parse(req.body || '{}');
    return key === KEY ? { status: 200, body: PRINCIPAL } : { status: 401, body: { code: 'AUTH_INVALID_KEY' } };
  });
  upstream = await startUpstream();
  ({ redis, registry } = redisAndRegistry(ns, clock));
  await registry.kv.set('gateway/routes', { admin: { service: 'admin', prefix: '/admin' } });
  await registry.register({ name: 'auth', host: '127.0.0.1', port: auth.port });
  await registry.register({ name: 'admin', host: '127.0.0.1', port: upstream.port });
});
ns.cleanup(async () => {
  for (const app of apps) await app.close();
  await registry.close();
  await redis.close();
  await auth.close();
  await upstream.close();
});

describe('identity spoofing through the gateway', () => {
  test.each([
    ['x-tenant-id', 'other-tenant', 't-a'],
    ['x-user-role', 'platform-admin', 'member'],
    ['x-key-id', 'SOMEONEELSESKEY0', 'AAAAAAAAAAAAAAAA'],
    ['x-internal-token', 'forged', INTERNAL_TOKEN],
  ])('a client-supplied %s is replaced by the authenticated value', async (header, forged, expected) => {
    const gateway = apps[0] || (await gatewayWith());
    const res = await call(gateway, { url: '/api/v1/admin/tenants', headers: { 'x-api-key': KEY, [header]: forged } });
    expect(res.statusCode).toBe(200);
    expect(upstream.requests.at(-1).headers[header]).toBe(expected);
  });

  test('identity headers the principal does not have are dropped, not passed on', async () => {
    const gateway = apps[0] || (await gatewayWith());
    await call(gateway, { url: '/api/v1/admin/tenants', headers: { 'x-api-key': KEY, 'x-user-id': 'u-victim', 'x-tenant-plan': 'enterprise', 'x-key-scopes': 'tenants:write' } });
    const seen = upstream.requests.at(-1).headers;
    expect(seen).not.toHaveProperty('x-user-id');
    expect(seen).not.toHaveProperty('x-tenant-plan');
    expect(seen).not.toHaveProperty('x-key-scopes');
    expect(seen).not.toHaveProperty('x-api-key');
  });
});

describe('the local-development auth switch', () => {
  test('AUTH_DISABLED=false keeps authentication on', async () => {
    const gateway = await gatewayWith({ AUTH_DISABLED: 'false' });
    const res = await call(gateway, { url: '/api/v1/admin/tenants' });
    expect(res.statusCode).toBe(401);
  });

  test('AUTH_DISABLED=true lets requests through as the dev principal', async () => {
    const gateway = await gatewayWith({ AUTH_DISABLED: 'true' });
    const res = await call(gateway, { url: '/api/v1/admin/tenants' });
    expect(res.statusCode).toBe(200);
    expect(upstream.requests.at(-1).headers['x-tenant-id']).toBe('dev');
  });
});

describe('hostile request lines and headers', () => {
  test.each([
    ['an encoded dot-dot segment', '/api/v1/admin/%2e%2e/secrets'],
    ['an encoded slash', '/api/v1/admin/tenants%2f..%2fsecrets'],
    ['a backslash', '/api/v1/admin/..\\secrets'],
  ])('%s is refused with 400 before any upstream call', async (name, url) => {
    const gateway = apps[0] || (await gatewayWith());
    const before = upstream.requests.length;
    const res = await call(gateway, { url, headers: { 'x-api-key': KEY } });
    expect(res.statusCode).toBe(400);
    expect(upstream.requests.length).toBe(before);
  });

  test('an unsafe request id is replaced, not reflected', async () => {
    const gateway = apps[0] || (await gatewayWith());
    const res = await call(gateway, { url: '/api/v1/admin/tenants', headers: { 'x-api-key': KEY, 'x-request-id': '"><script>alert(1)</script>' } });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(upstream.requests.at(-1).headers['x-request-id']).toBe(res.headers['x-request-id']);
  });

  test('keys of the wrong shape are refused without asking auth', async () => {
    const gateway = apps[0] || (await gatewayWith());
    const before = auth.requests.length;
    for (const key of ['x', "dnk_' OR 1=1 --", 'dnk_AAAAAAAAAAAAAAAA_short']) {
      expect((await call(gateway, { url: '/api/v1/admin/tenants', headers: { 'x-api-key': key } })).statusCode).toBe(401);
    }
    expect(auth.requests.length).toBe(before);
  });
});
