'use strict';

// The token bucket every gateway instance shares in Redis, driven with explicit times (the
// gateway passes its own clock's `now` to the script), so each run is the same.

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { normalizePolicy } = require('../../../../services/gateway/src/ratelimit/tokenBucket');
const { createRedisBucket } = require('../../../../services/gateway/src/ratelimit/redisBucket');
const { redisAndRegistry } = require('../../../support/boot-service');

const ns = useNamespace({ databases: [], rabbit: false });
let redis;
let registry;

beforeAll(() => {
  ({ redis, registry } = redisAndRegistry(ns, createFakeClock(0)));
});
ns.cleanup(async () => {
  await registry.close();
  await redis.close();
});

describe('shared token bucket in Redis', () => {
  test.each([1, 2])('clients polling faster than the rate get the configured rate (seed %i)', async (seed) => {
    const buckets = createRedisBucket(redis);
    const prng = createPrng(`redis-poll-${seed}`);
    // Slow tokens, so the key's expiry in Redis (real time, a few seconds) outlives any pause of a
    // loaded test machine between two calls.
    const policy = normalizePolicy({ rate: 0.5, burst: 4 }); // one token per 2 s
    let now = 0;
    let allowed = 0;
    while (now < 120000) {
      if ((await buckets.take(`poll-${seed}`, now, policy)).allowed) allowed += 1;
      now += prng.int(1, 1600); // always faster than one token per 2 s
    }
    // burst + one token per 2 s over two minutes, give or take the poll granularity
    expect(allowed).toBeGreaterThanOrEqual(62);
    expect(allowed).toBeLessThanOrEqual(64);
  });

  test('time short of a whole token counts towards the next one, on every instance', async () => {
    const instanceA = createRedisBucket(redis);
    const instanceB = createRedisBucket(redis);
    const policy = normalizePolicy({ rate: 0.1, burst: 1 }); // one token per 10 s
    expect(await instanceA.take('partial', 0, policy)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(await instanceB.take('partial', 4000, policy)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 6000 });
    expect(await instanceA.take('partial', 8000, policy)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 2000 });
    expect((await instanceB.take('partial', 10000, policy)).allowed).toBe(true);
  });
});
