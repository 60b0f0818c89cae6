'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createRateLimiter } = require('../../../../services/gateway/src/ratelimit/limiter');
const { createUpstreams } = require('../../../../services/gateway/src/upstreams');
const { createHub } = require('../../../../services/gateway/src/ws/hub');
const { redisAndRegistry } = require('../../../support/boot-service');

const ns = useNamespace({ databases: [], rabbit: false });
let clock;
let redis;
let registry;

beforeAll(() => {
  clock = createFakeClock(1_700_000_000_000);
  ({ redis, registry } = redisAndRegistry(ns, clock));
});
ns.cleanup(async () => {
  await registry.close();
  await redis.close();
});

describe('gateway operation counts', () => {
  test('each rate-limit decision is one Redis round trip', async () => {
    const limiter = createRateLimiter({ redis, clock, logger: silentLogger, defaultPolicy: { rate: 100, burst: 100 } });
    await limiter.take('warm-up');
    const spy = jest.spyOn(redis, 'sendCommand');
    try {
      for (let i = 0; i < 50; i += 1) await limiter.take(`key-${i % 5}`);
      expect(spy).toHaveBeenCalledTimes(50);
      expect(spy.mock.calls.every(([command]) => command.name === 'evalsha')).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  test('upstream addresses are looked up once per cache interval, not per request', async () => {
    await registry.register({ name: 'query', host: '127.0.0.1', port: 4000 });
    const upstreams = createUpstreams({ registry, clock, ttlMs: 5000 });
    for (let i = 0; i < 200; i += 1) await upstreams.resolve('query');
    expect(upstreams.stats().lookups).toBe(1);
    clock.advance(5000);
    await upstreams.resolve('query');
    expect(upstreams.stats().lookups).toBe(2);
  });

  test('a live message costs one send per subscriber of its topic, whatever else is connected', () => {
    const hub = createHub();
    let sends = 0;
    const socket = () => ({ readyState: 1, send: () => (sends += 1) });
    for (let i = 0; i < 2000; i += 1) {
      const s = socket();
      hub.add(s, { tenantId: `t${i % 20}` });
      hub.subscribe(s, i % 2 ? 'alerts' : 'queries');
    }
    expect(hub.publish('t0', 'queries', {})).toBe(100);
    expect(sends).toBe(100);
  });
});
