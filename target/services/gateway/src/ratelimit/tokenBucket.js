'use strict';

// Token-bucket arithmetic shared by the per-instance limiter and mirrored by the Redis script.
// Tokens are whole numbers and time is in milliseconds from the service clock. A bucket holds
// at most `burst` tokens and gains `rate` tokens per second.

function normalizePolicy(policy) {
  const rate = Number(policy.rate);
  const burst = Number(policy.burst);
  if (!(rate > 0) || !Number.isFinite(rate)) throw new TypeError(`rate must be a positive number, got ${policy.rate}`);
  if (!Number.isInteger(burst) || burst < 1) throw new TypeError(`burst must be a positive integer, got ${policy.burst}`);
  return { rate, burst };
}

function msPerToken(policy) {
  return 1000 / policy.rate;
}

function createBucket(now, policy) {
  return { tokens: policy.burst, lastRefill: now };
}

/** Adds the tokens earned since `lastRefill`. */
function refill(bucket, now, policy) {
  const elapsed = Math.max(0, now - bucket.lastRefill);
  const added = Math.floor(elapsed / msPerToken(policy));
  if (bucket.tokens + added >= policy.burst) {
    // A full bucket earns nothing more, so the clock restarts from now.
    bucket.tokens = policy.burst;
    bucket.lastRefill = now;
  } else {
    bucket.tokens += added;
    bucket.lastRefill = now;
  }
  return bucket;
}

/**
 * Refills, then takes `cost` tokens if they are there.
 * @returns {{ allowed: boolean, remaining: number, retryAfterMs: number }}
 */
function take(bucket, now, policy, cost = 1) {
  refill(bucket, now, policy);
  if (bucket.tokens >= cost) {
    bucket.tokens -= cost;
    return { allowed: true, remaining: bucket.tokens, retryAfterMs: 0 };
  }
  const missing = cost - bucket.tokens;
  const retryAfterMs = Math.max(0, Math.ceil(bucket.lastRefill + missing * msPerToken(policy) - now));
  return { allowed: false, remaining: bucket.tokens, retryAfterMs };
}

module.exports = { normalizePolicy, createBucket, refill, take, msPerToken };
