'use strict';

const WebSocket = require('ws');
const { useNamespace } = require('../../../support/namespace');
const { waitUntil } = require('../../../support/wait-for');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { redisAndRegistry, bootService } = require('../../../support/boot-service');
const { startUpstream, call, ensureListening, INTERNAL_TOKEN } = require('../../../support/http');

const ns = useNamespace({ databases: [], rabbit: false });

const KEY_A = `dnk_AAAAAAAAAAAAAAAA_${'a'.repeat(43)}`;
const KEY_B = `dnk_BBBBBBBBBBBBBBBB_${'b'.repeat(43)}`;
const KEY_SUSPENDED = `dnk_SSSSSSSSSSSSSSSS_${'s'.repeat(43)}`;
const PRINCIPALS = {
  [KEY_A]: { tenantId: 't-a', keyId: 'AAAAAAAAAAAAAAAA', role: 'member', scopes: [] },
  [KEY_B]: { tenantId: 't-b', keyId: 'BBBBBBBBBBBBBBBB', role: 'member', scopes: [] },
};

let clock;
let auth;
let query;
let redis;
let registry;
let gateway;

function verifyStub(req) {
  if (req.url !== '/v1/keys/verify') return { status: 404, body: {} };
  if (req.headers['x-internal-token'] !== INTERNAL_TOKEN) return { status: 401, body: { code: 'AUTH_MISSING_CREDENTIALS' } };
  const { key } = JSON.parse(req.body);
  if (key === KEY_SUSPENDED) return { status: 403, body: { code: 'AUTH_TENANT_SUSPENDED', message: 'tenant is suspended' } };
  return PRINCIPALS[key] ? { status: 200, body: PRINCIPALS[key] } : { status: 401, body: { code: 'AUTH_INVALID_KEY', message: 'invalid API key' } };
}

beforeAll(async () => {
  clock = createFakeClock(1_700_000_000_000);
  auth = await startUpstream(verifyStub);
  query = await startUpstream((req) => (req.url.startsWith('/v1/fail') ? { status: 500, body: { code: 'BOOM' } } : { status: 200, body: { url: req.url, tenant: req.headers['x-tenant-id'], method: req.method, body: req.body } }));
  ({ redis, registry } = redisAndRegistry(ns, clock));
  await registry.kv.set('gateway/routes', {
    auth: { service: 'auth', prefix: '/v1', anonymous: ['POST /sessions'], blocked: ['/keys/verify'] },
    query: { service: 'query', prefix: '/v1' },
    billing: { service: 'billing', prefix: '/v1' },
    dead: { service: 'dead', prefix: '/v1' },
  });
  await registry.register({ name: 'auth', host: '127.0.0.1', port: auth.port });
  await registry.register({ name: 'query', host: '127.0.0.1', port: query.port });
  // An instance that is registered but not listening: connections to it are refused.
  await registry.register({ name: 'dead', host: '127.0.0.1', port: 1 });
  ({ app: gateway } = await bootService('gateway', { ns, clock, clients: { redis, registry }, env: { RATE_LIMIT_RATE: '1', RATE_LIMIT_BURST: '3' }, options: { generateId: () => 'gen-id' } }));
});

// Every test starts with full rate-limit buckets.
beforeEach(() => {
  clock.advance(10_000);
});

ns.cleanup(async () => {
  await gateway.close();
  await registry.close();
  await redis.close();
  await auth.close();
  await query.close();
});

describe('gateway routing', () => {
  test('a routed request reaches the upstream found through the registry route table', async () => {
    const res = await call(gateway, { method: 'GET', url: '/api/v1/query/queries/42?x=1', headers: { 'x-api-key': KEY_A } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ url: '/v1/queries/42?x=1', tenant: 't-a' });
  });

  test('the request id is forwarded upstream and returned to the client', async () => {
    const res = await call(gateway, { method: 'GET', url: '/api/v1/query/ids', headers: { 'x-api-key': KEY_B, 'x-request-id': 'client-req-7' } });
    expect(res.headers['x-request-id']).toBe('client-req-7');
    expect(query.requests.at(-1).headers['x-request-id']).toBe('client-req-7');
  });

  test('a request body is forwarded untouched', async () => {
    const res = await call(gateway, { method: 'POST', url: '/api/v1/query/run', headers: { 'x-api-key': KEY_B, 'content-type': 'application/json' }, payload: '{"sql":"select 1"}' });
    expect(res.json()).toMatchObject({ method: 'POST', body: '{"sql":"select 1"}' });
  });

  test('an unknown route is 404 without any upstream call', async () => {
    const before = query.requests.length;
    const res = await call(gateway, { method: 'GET', url: '/api/v1/nothing/here', headers: { 'x-api-key': KEY_A } });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('GATEWAY_NO_ROUTE');
    expect(query.requests.length).toBe(before);
  });

  test('a route whose service has no registered instance is 503', async () => {
    const res = await call(gateway, { method: 'GET', url: '/api/v1/billing/invoices', headers: { 'x-api-key': KEY_A } });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('GATEWAY_NO_UPSTREAM');
  });

  test('a refused upstream connection is 502 and an upstream 500 passes through', async () => {
    const refused = await call(gateway, { method: 'GET', url: '/api/v1/dead/x', headers: { 'x-api-key': KEY_B } });
    expect(refused.statusCode).toBe(502);
    expect(refused.json().code).toBe('GATEWAY_UPSTREAM_FAILED');
    const failed = await call(gateway, { method: 'GET', url: '/api/v1/query/fail', headers: { 'x-api-key': KEY_B } });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toEqual({ code: 'BOOM' });
  });
});

describe('gateway authentication', () => {
  test('a missing key is 401 and a key auth rejects is 401', async () => {
    const missing = await call(gateway, { method: 'GET', url: '/api/v1/query/x' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('AUTH_MISSING_KEY');
    const wrong = await call(gateway, { method: 'GET', url: '/api/v1/query/x', headers: { 'x-api-key': `dnk_ZZZZZZZZZZZZZZZZ_${'z'.repeat(43)}` } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('AUTH_INVALID_KEY');
  });

  test('a suspended tenant is 403 with auth\'s code', async () => {
    const res = await call(gateway, { method: 'GET', url: '/api/v1/query/x', headers: { 'x-api-key': KEY_SUSPENDED } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AUTH_TENANT_SUSPENDED');
  });

  test('anonymous routes need no key and internal auth endpoints are not exposed', async () => {
    const login = await call(gateway, { method: 'POST', url: '/api/v1/auth/sessions', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(auth.requests.at(-1).url).toBe('/v1/sessions');
    expect(login.statusCode).toBe(404);
    const verify = await call(gateway, { method: 'POST', url: '/api/v1/auth/keys/verify', headers: { 'x-api-key': KEY_A }, payload: '{}' });
    expect(verify.statusCode).toBe(404);
  });
});

describe('gateway rate limiting', () => {
  test('each key has its own bucket in Redis; an exhausted bucket answers 429 with Retry-After', async () => {
    const key = `dnk_RRRRRRRRRRRRRRRR_${'r'.repeat(43)}`;
    PRINCIPALS[key] = { tenantId: 't-r', keyId: 'RRRRRRRRRRRRRRRR', role: 'member', scopes: [] };
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await call(gateway, { method: 'GET', url: '/api/v1/query/x', headers: { 'x-api-key': key } })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(gateway, { method: 'GET', url: '/api/v1/query/x', headers: { 'x-api-key': key } });
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json().code).toBe('GATEWAY_RATE_LIMITED');
    expect(await redis.exists('gateway:ratelimit:key:RRRRRRRRRRRRRRRR')).toBe(1);
    clock.advance(1000);
    expect((await call(gateway, { method: 'GET', url: '/api/v1/query/x', headers: { 'x-api-key': key } })).statusCode).toBe(200);
  });
});

describe('gateway health', () => {
  test('health answers and readiness reports routes and Redis', async () => {
    expect((await call(gateway, '/health')).json()).toEqual({ status: 'ok', service: 'gateway' });
    const ready = await call(gateway, '/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { routes: 4, routesSource: 'registry', redis: 'ok', rateLimit: 'redis' } });
  });

  test('the OpenAPI description lists the gateway routes', async () => {
    const doc = (await call(gateway, '/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/api/v1/{*}', '/v1/live']));
  });
});

describe('gateway live fan-out', () => {
  test('a WebSocket subscriber receives its tenant\'s events published on the Redis channel, not others\'', async () => {
    const port = await ensureListening(gateway);
    const messages = [];
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/live?topics=queries`, { headers: { 'x-api-key': KEY_A } });
    socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
    await waitUntil(() => messages.length >= 1, { description: 'ready frame', maxIterations: 1_000_000 });
    expect(messages[0]).toEqual({ ok: 'ready', topics: ['queries'] });
    await gateway.runtime.live.publish('t-b', 'queries', { rows: 0 });
    await gateway.runtime.live.publish('t-a', 'other', { rows: 1 });
    await gateway.runtime.live.publish('t-a', 'queries', { rows: 2 });
    await waitUntil(() => messages.length >= 2, { description: 'live message', maxIterations: 1_000_000 });
    expect(messages.slice(1)).toEqual([{ topic: 'queries', data: { rows: 2 } }]);
    socket.close();
    await waitUntil(() => gateway.runtime.live.hub.stats().connections === 0, { description: 'socket removed', maxIterations: 1_000_000 });
  });
});
