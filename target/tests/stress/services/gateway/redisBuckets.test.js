'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createPrng } = require('../../../../shared/utils/prng');
const { createRateLimiter } = require('../../../../services/gateway/src/ratelimit/limiter');
const { redisAndRegistry } = require('../../../support/boot-service');

const ns = useNamespace({ databases: [], rabbit: false });
const clients = [];

ns.cleanup(async () => {
  for (const c of clients) {
    await c.registry.close();
    await c.redis.close();
  }
});

function gatewayInstance(clock) {
  const c = redisAndRegistry(ns, clock);
  clients.push(c);
  return createRateLimiter({ redis: c.redis, clock, logger: silentLogger, defaultPolicy: { rate: 1, burst: 10 } });
}

describe('shared token buckets under concurrency', () => {
  test('concurrent takes in a shuffled order grant exactly the burst per key', async () => {
    const clock = createFakeClock(1_700_000_000_000);
    const limiter = gatewayInstance(clock);
    const prng = createPrng('concurrent-takes');
    const keys = ['a', 'b', 'c', 'd'];
    const order = prng.shuffle(keys.flatMap((k) => Array.from({ length: 25 }, () => `burst:${k}`)));
    const results = await Promise.all(order.map((k) => limiter.take(k).then((d) => [k, d.allowed])));
    for (const k of keys) expect(results.filter(([key, ok]) => key === `burst:${k}` && ok)).toHaveLength(10);
  });

  test('three gateway instances share one bucket per key', async () => {
    const clock = createFakeClock(1_700_000_000_000);
    const instances = [gatewayInstance(clock), gatewayInstance(clock), gatewayInstance(clock)];
    const prng = createPrng('three-instances');
    const calls = Array.from({ length: 60 }, () => prng.pick(instances).take('shared:key'));
    const granted = (await Promise.all(calls)).filter((d) => d.allowed).length;
    expect(granted).toBe(10);
    clock.advance(3000);
    const later = (await Promise.all(Array.from({ length: 10 }, () => prng.pick(instances).take('shared:key')))).filter((d) => d.allowed).length;
    expect(later).toBe(3);
  });
});
