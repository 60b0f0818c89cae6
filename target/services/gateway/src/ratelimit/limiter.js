'use strict';

const { normalizePolicy } = require('./tokenBucket');
const { createRedisBucket } = require('./redisBucket');
const { createLocalBuckets } = require('./localBuckets');

/**
 * Per-key rate limiting. Redis holds the shared buckets; when Redis fails or does not answer
 * within `redisTimeoutMs` the decision is taken by per-instance buckets instead.
 *
 * Why neither fail-open nor fail-closed: failing open turns a Redis outage into unlimited traffic
 * on every upstream, failing closed turns it into an outage of the whole API. Local buckets keep
 * each key limited (per gateway instance) while Redis is away; `mode()` reports the degradation
 * so /ready and the logs can show it.
 */
function createRateLimiter({ redis, clock, logger, defaultPolicy, redisTimeoutMs = 250 }) {
  const shared = createRedisBucket(redis);
  const local = createLocalBuckets();
  const fallbackPolicy = normalizePolicy(defaultPolicy);
  let degraded = false;

  function withTimeout(promise) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = clock.setTimeout(() => reject(new Error(`rate limit store did not answer within ${redisTimeoutMs} ms`)), redisTimeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clock.clearTimeout(timer));
  }

  async function take(keyId, policy = fallbackPolicy, cost = 1) {
    const p = policy === fallbackPolicy ? policy : normalizePolicy(policy);
    const now = clock.now();
    try {
      const decision = await withTimeout(shared.take(keyId, now, p, cost));
      if (degraded) {
        degraded = false;
        logger.info({ event: 'ratelimit.shared' }, 'rate limiting back on the shared store');
        local.clear();
      }
      return { ...decision, source: 'redis' };
    } catch (err) {
      if (!degraded) {
        degraded = true;
        logger.warn({ event: 'ratelimit.local', err: err.message }, 'rate limit store unavailable, limiting per instance');
      }
      return { ...local.take(keyId, clock.now(), p, cost), source: 'local' };
    }
  }

  return {
    take,
    mode: () => (degraded ? 'local' : 'redis'),
    localSize: () => local.size(),
  };
}

module.exports = { createRateLimiter };
