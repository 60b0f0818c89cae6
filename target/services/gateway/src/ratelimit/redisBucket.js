'use strict';

// The token bucket kept in Redis: one EVALSHA per decision, so refill and take are atomic across
// every gateway instance. The arithmetic is the one in tokenBucket.js, written in Lua.
// `now` is passed in by the caller (the gateway's clock), never read from the Redis server.

const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local per = 1000 / rate
local state = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
local elapsed = math.max(0, now - last)
local added = math.floor(elapsed / per)
if tokens + added >= burst then
  tokens = burst
  last = now
else
  tokens = tokens + added
  last = now
end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.max(0, math.ceil(last + (cost - tokens) * per - now))
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'last', string.format('%.3f', last))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * per) + 1000)
return { allowed, tokens, retry }
`;

const COMMAND = 'dnGatewayTakeToken';

function bucketKey(id) {
  return `gateway:ratelimit:${id}`;
}

/**
 * @param {import('ioredis').Redis} redis a client with the namespace key prefix
 */
function createRedisBucket(redis) {
  if (typeof redis[COMMAND] !== 'function') {
    // defineCommand sends EVALSHA and falls back to EVAL once when the script cache is empty.
    redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_SCRIPT });
  }
  return {
    async take(id, now, policy, cost = 1) {
      const [allowed, remaining, retryAfterMs] = await redis[COMMAND](bucketKey(id), now, policy.rate, policy.burst, cost);
      return { allowed: allowed === 1, remaining: Number(remaining), retryAfterMs: Number(retryAfterMs) };
    },
  };
}

module.exports = { createRedisBucket, bucketKey, TAKE_SCRIPT };
