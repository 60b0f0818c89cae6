'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { promiseState } = require('../../../support/deferred');
const { waitForEvent } = require('../../../support/wait-for');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { redisAndRegistry, bootService } = require('../../../support/boot-service');
const { startUpstream, call } = require('../../../support/http');
const infra = require('../../../support/infra-urls');

const ns = useNamespace({ databases: [], rabbit: false });
const KEY = `dnk_AAAAAAAAAAAAAAAA_${'a'.repeat(43)}`;
const PRINCIPAL = { tenantId: 't-a', keyId: 'AAAAAAAAAAAAAAAA', role: 'member', scopes: [] };

let clock;
let auth;
let redis;
let registry;
const closers = [];

beforeAll(async () => {
  clock = createFakeClock(1_700_000_000_000);
  auth = await startUpstream((req) => (JSON.parse(req.body).key === KEY ? { status: 200, body: PRINCIPAL } : { status: 401, body: {} }));
  ({ redis, registry } = redisAndRegistry(ns, clock));
  await registry.register({ name: 'auth', host: '127.0.0.1', port: auth.port });
});
ns.cleanup(async () => {
  for (const close of closers.reverse()) await close();
  await registry.close();
  await redis.close();
  await auth.close();
});

async function gateway(env = {}, clients = { redis, registry }) {
  const { app } = await bootService('gateway', { ns, clock, clients, env: { RATE_LIMIT_BURST: '1000', UPSTREAM_CACHE_TTL_MS: '5000', ...env } });
  closers.push(() => app.close());
  return app;
}

/** Advances the fake clock step by step until `promise` settles (a bounded number of steps). */
async function settleWithClock(promise, stepMs, maxSteps = 50) {
  for (let i = 0; i < maxSteps && (await promiseState(promise)) === 'pending'; i += 1) await clock.advanceAsync(stepMs);
  return promise;
}

const get = (app, url) => call(app, { url, headers: { 'x-api-key': KEY } });

describe('upstream failures', () => {
  test('a stalled upstream is cut at the upstream timeout with 504', async () => {
    const stalled = await startUpstream(() => null);
    closers.push(() => stalled.close());
    await registry.kv.set('gateway/routes', { slow: { service: 'slow', prefix: '/v1' } });
    await registry.register({ name: 'slow', host: '127.0.0.1', port: stalled.port });
    const app = await gateway({ UPSTREAM_TIMEOUT_MS: '3000' });
    const reached = stalled.nextRequest();
    const pending = get(app, '/api/v1/slow/x');
    await Promise.race([reached, pending]);
    const res = await settleWithClock(pending, 1000);
    expect(res.statusCode).toBe(504);
    expect(res.json().code).toBe('GATEWAY_UPSTREAM_TIMEOUT');
  });

  test('an upstream that restarted on a new address is found again by the next request', async () => {
    const first = await startUpstream(() => ({ status: 200, body: { instance: 'first' } }));
    closers.push(() => first.close());
    await registry.kv.set('gateway/routes', { moving: { service: 'moving', prefix: '/v1' } });
    const reg = await registry.register({ name: 'moving', host: '127.0.0.1', port: first.port, id: 'moving-1' });
    const app = await gateway();
    expect((await get(app, '/api/v1/moving/x')).json()).toEqual({ instance: 'first' });
    await first.close();
    await reg.deregister();
    const second = await startUpstream(() => ({ status: 200, body: { instance: 'second' } }));
    closers.push(() => second.close());
    await registry.register({ name: 'moving', host: '127.0.0.1', port: second.port, id: 'moving-2' });
    const res = await get(app, '/api/v1/moving/x');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ instance: 'second' });
  });

  test('a replaced instance stops receiving traffic within one cache refresh interval', async () => {
    const old = await startUpstream(() => ({ status: 200, body: { instance: 'old' } }));
    const fresh = await startUpstream(() => ({ status: 200, body: { instance: 'new' } }));
    closers.push(() => old.close(), () => fresh.close());
    await registry.kv.set('gateway/routes', { scaled: { service: 'scaled', prefix: '/v1' } });
    const reg = await registry.register({ name: 'scaled', host: '127.0.0.1', port: old.port, id: 'scaled-old' });
    const app = await gateway();
    expect((await get(app, '/api/v1/scaled/x')).json().instance).toBe('old');
    // The old instance drains (still answering) while the registry now lists only the new one.
    await reg.deregister();
    await registry.register({ name: 'scaled', host: '127.0.0.1', port: fresh.port, id: 'scaled-new' });
    clock.advance(5000);
    expect((await get(app, '/api/v1/scaled/x')).json().instance).toBe('new');
  });

  test('a failing upstream opens the breaker; a failed probe after the cooldown opens it again', async () => {
    let healthy = false;
    const flaky = await startUpstream(() => (healthy ? { status: 200, body: { ok: true } } : { status: 503, body: { code: 'DOWN' } }));
    closers.push(() => flaky.close());
    await registry.kv.set('gateway/routes', { flaky: { service: 'flaky', prefix: '/v1' } });
    await registry.register({ name: 'flaky', host: '127.0.0.1', port: flaky.port });
    const app = await gateway({ CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_COOLDOWN_MS: '10000', UPSTREAM_CACHE_TTL_MS: '3600000' });
    for (let i = 0; i < 3; i += 1) expect((await get(app, '/api/v1/flaky/x')).statusCode).toBe(503);
    const open = await get(app, '/api/v1/flaky/x');
    expect(open.json().code).toBe('GATEWAY_CIRCUIT_OPEN');
    expect(flaky.requests).toHaveLength(3);

    clock.advance(10000);
    expect((await get(app, '/api/v1/flaky/x')).json().code).toBe('DOWN'); // the probe
    expect(flaky.requests).toHaveLength(4);
    for (let i = 0; i < 3; i += 1) expect((await get(app, '/api/v1/flaky/x')).json().code).toBe('GATEWAY_CIRCUIT_OPEN');
    expect(flaky.requests).toHaveLength(4);

    healthy = true;
    clock.advance(10000);
    expect((await get(app, '/api/v1/flaky/x')).statusCode).toBe(200);
    expect((await get(app, '/api/v1/flaky/x')).statusCode).toBe(200);
  });

  test('auth being unreachable is 503, never 401 or 500', async () => {
    const { redis: r2, registry: reg2 } = redisAndRegistry({ env: { ...ns.env, REDIS_PREFIX: `${ns.env.REDIS_PREFIX}noauth:` } }, clock);
    closers.push(() => reg2.close(), () => r2.close());
    await reg2.register({ name: 'auth', host: '127.0.0.1', port: 1 });
    const app = await gateway({}, { redis: r2, registry: reg2 });
    const res = await get(app, '/api/v1/query/x');
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('GATEWAY_AUTH_UNAVAILABLE');
  });
});

describe('rate limiting without Redis', () => {
  test('when Redis is cut the gateway keeps limiting each key on local buckets, and readiness says so', async () => {
    const proxy = await createFaultProxy({ host: new URL(infra.redisUrl).hostname, port: Number(new URL(infra.redisUrl).port || 6379) });
    closers.push(() => proxy.close());
    const { redis: viaProxy, registry: unused } = redisAndRegistry({ env: { ...ns.env, REDIS_URL: proxy.url(ns.env.REDIS_URL) } }, clock, { maxRetriesPerRequest: 1 });
    closers.push(() => unused.close(), () => viaProxy.close());
    const upstream = await startUpstream();
    closers.push(() => upstream.close());
    await registry.kv.set('gateway/routes', { query: { service: 'query', prefix: '/v1' } });
    await registry.register({ name: 'query', host: '127.0.0.1', port: upstream.port });
    const app = await gateway({ RATE_LIMIT_BURST: '2', RATE_LIMIT_RATE: '1', RATE_LIMIT_STORE_TIMEOUT_MS: '200' }, { redis: viaProxy, registry });
    expect((await get(app, '/api/v1/query/x')).statusCode).toBe(200);

    proxy.refuse(true);
    proxy.cut();
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await settleWithClock(get(app, '/api/v1/query/x'), 100)).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    expect(app.runtime.limiter.mode()).toBe('local');
    const ready = await settleWithClock(call(app, '/ready'), 100);
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.rateLimit).toBe('local');

    proxy.refuse(false);
    if (viaProxy.status !== 'ready') await waitForEvent(viaProxy, 'ready');
    clock.advance(5000);
    expect((await get(app, '/api/v1/query/x')).statusCode).toBe(200);
    expect(app.runtime.limiter.mode()).toBe('redis');
  });
});
