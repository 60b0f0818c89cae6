'use strict';

const { useNamespace } = require('../../../support/namespace');
const { waitForEvent } = require('../../../support/wait-for');
const { createRedis } = require('../../../../shared/clients/redis');
const { createRegistry } = require('../../../../shared/clients/discovery');
const { loadConfig } = require('../../../../shared/utils/config');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('service registry and KV on redis', () => {
  const ns = useNamespace({ databases: [], rabbit: false });
  const closers = [];

  function setup(prefixSuffix, envOverrides = {}) {
    const config = loadConfig({ ...ns.env, REDIS_PREFIX: `${ns.env.REDIS_PREFIX}${prefixSuffix}:`, ...envOverrides });
    const redis = createRedis(config);
    const clock = createFakeClock(1_000_000);
    const registry = createRegistry({ redis, clock, config });
    closers.push(async () => {
      await registry.close();
      await redis.close();
    });
    return { redis, clock, registry, config };
  }

  afterAll(async () => {
    for (const close of closers) await close();
  });

  test('a registered instance is found with its fields until deregistered', async () => {
    const { registry } = setup('r1', { REGISTRY_TTL_MS: '3s', HEALTH_INTERVAL_MS: '1s' });
    const handle = await registry.register({ name: 'query', host: '10.0.0.5', port: 3005, meta: { version: '1.2.0' } });
    await registry.register({ name: 'query', id: 'query-b', host: '10.0.0.6', port: 3005 });
    expect(handle).toMatchObject({ id: 'query-10.0.0.5-3005', name: 'query', expiresAt: 1_003_000 });
    const found = await registry.lookup('query');
    expect(found).toEqual([
      {
        id: 'query-10.0.0.5-3005',
        name: 'query',
        host: '10.0.0.5',
        port: 3005,
        address: '10.0.0.5:3005',
        meta: { version: '1.2.0' },
        registeredAt: 1_000_000,
        expiresAt: 1_003_000,
      },
      expect.objectContaining({ id: 'query-b', address: '10.0.0.6:3005' }),
    ]);
    expect(await registry.services()).toEqual(['query']);
    await handle.deregister();
    expect((await registry.lookup('query')).map((i) => i.id)).toEqual(['query-b']);
    await expect(registry.deregister('query-10.0.0.5-3005')).rejects.toMatchObject({ code: 'DN_REGISTRY_NOT_REGISTERED' });
  });

  test('heartbeats on the registry clock keep an instance alive; without them it expires', async () => {
    const { registry, clock, redis, config } = setup('r2', { REGISTRY_TTL_MS: '3000', HEALTH_INTERVAL_MS: '1000' });
    await registry.register({ name: 'alerts', id: 'alerts-1', host: 'h1', port: 1 });
    // A second process (same Redis namespace, same clock) that registers and then crashes.
    const crashed = createRegistry({ redis, clock, config });
    await crashed.register({ name: 'alerts', id: 'alerts-2', host: 'h2', port: 2 });
    await crashed.close();

    let beats = 0;
    registry.on('heartbeat', () => beats++);
    await clock.advanceAsync(1000);
    await waitForEventCount(registry, () => beats, 1);
    await clock.advanceAsync(1000);
    await waitForEventCount(registry, () => beats, 2);
    expect((await registry.lookup('alerts')).map((i) => i.id)).toEqual(['alerts-1', 'alerts-2']);
    await clock.advanceAsync(1000);
    await waitForEventCount(registry, () => beats, 3);
    // now = start + 3000: alerts-2 expired exactly now, alerts-1 was refreshed to now + 3000.
    const live = await registry.lookup('alerts');
    expect(live.map((i) => [i.id, i.expiresAt])).toEqual([['alerts-1', 1_006_000]]);
    expect(await registry.prune('alerts')).toBe(1);
  });

  test('registration errors propagate instead of being swallowed', async () => {
    const { registry, redis } = setup('r3');
    await redis.close();
    await expect(registry.register({ name: 'gateway', host: 'h', port: 3000 })).rejects.toThrow(/closed/i);
    expect(await registry.close()).toBeUndefined();
  });

  test('a TTL and interval passed as raw environment strings are refused, or used as the numbers they spell', async () => {
    const { registry, clock, redis, config } = setup('r5');
    // What a caller that reads process.env itself would hand over. Either policy keeps discovery
    // honest: refuse the strings (nothing is registered), or read them as numbers (the instance lives
    // exactly one TTL past its last heartbeat).
    const env = { REGISTRY_TTL_MS: '3000', HEALTH_INTERVAL_MS: '1000' };
    const outcome = await registry
      .register({ name: 'ingestion', id: 'ingestion-1', host: 'h5', port: 5, ttlMs: env.REGISTRY_TTL_MS, healthIntervalMs: env.HEALTH_INTERVAL_MS })
      .then((handle) => ({ handle }), (error) => ({ error }));
    const listed = async (reg) => (await reg.lookup('ingestion')).map((i) => [i.id, i.expiresAt]);

    if (outcome.error) {
      expect(outcome.error).toMatchObject({ code: 'DN_REGISTRY_INVALID', details: { field: expect.stringMatching(/^(ttlMs|healthIntervalMs)$/) } });
      expect(await registry.lookup('ingestion')).toEqual([]);
      expect(await registry.services()).toEqual([]);
      return;
    }
    expect(outcome.handle.expiresAt).toBe(1_003_000);
    expect(await listed(registry)).toEqual([['ingestion-1', 1_003_000]]);
    let beats = 0;
    registry.on('heartbeat', () => beats++);
    await clock.advanceAsync(1000);
    await waitForEventCount(registry, () => beats, 1);
    expect(await listed(registry)).toEqual([['ingestion-1', 1_004_000]]);
    // The process stops beating (a crash); another process on the same clock sees it go.
    await registry.close();
    const observer = createRegistry({ redis, clock, config });
    await clock.advanceAsync(2999);
    expect(await listed(observer)).toEqual([['ingestion-1', 1_004_000]]);
    await clock.advanceAsync(1);
    expect(await listed(observer)).toEqual([]);
  });

  test('kv stores JSON values and lists them by prefix', async () => {
    const { registry } = setup('r4');
    const { kv } = registry;
    await kv.set('routes/query', { upstream: 'query', prefix: '/api/v1/query' });
    await kv.set('routes/ingest', { upstream: 'ingestion' });
    await kv.set('routesX', 1);
    await kv.set('flags/dark-mode', false);
    expect(await kv.get('routes/query')).toEqual({ upstream: 'query', prefix: '/api/v1/query' });
    expect(await kv.get('flags/dark-mode')).toBe(false);
    expect(await kv.get('missing')).toBeUndefined();
    expect(await kv.list('routes/')).toEqual([
      { key: 'routes/ingest', value: { upstream: 'ingestion' } },
      { key: 'routes/query', value: { upstream: 'query', prefix: '/api/v1/query' } },
    ]);
    expect(await kv.del('routes/ingest')).toBe(true);
    expect(await kv.del('routes/ingest')).toBe(false);
    expect((await kv.list()).map((e) => e.key)).toEqual(['flags/dark-mode', 'routes/query', 'routesX']);
    await expect(kv.set('bad\u0000key', 1)).rejects.toMatchObject({ code: 'DN_REGISTRY_KV_KEY_INVALID' });
    await expect(kv.set('fn', () => 1)).rejects.toMatchObject({ code: 'DN_REGISTRY_KV_KEY_INVALID' });
  });
});

// Heartbeats write to Redis asynchronously after the timer fires: wait for the event count.
async function waitForEventCount(emitter, count, n) {
  while (count() < n) await waitForEvent(emitter, 'heartbeat');
}
