'use strict';

// Redis client factory. Returns an ioredis instance (every command is available directly) with the
// namespace prefix applied through ioredis `keyPrefix`, plus `prefixKey()`, `duplicate()` and
// `close()`.
//
// What keyPrefix covers: the key arguments of ordinary commands, every key of EVAL/EVALSHA and of
// commands defined with defineCommand (all `numberOfKeys` keys), and the stream keys of
// XREAD/XREADGROUP.
// What it does NOT cover, so callers prefix (or strip) themselves with `prefixKey()` / `prefix`:
//   - SCAN / KEYS MATCH patterns (write `prefixKey('jobs:*')`), and the key names those commands
//     return, which come back WITH the prefix (strip it with `unprefixKey()` before reusing them);
//   - key names built inside Lua scripts or passed as ARGV;
//   - pub/sub channel names (PUBLISH, SUBSCRIBE, PSUBSCRIBE);
//   - key names found in any reply.

const Redis = require('ioredis');
const { createLogger } = require('../utils/logger');

function retryStrategy(baseMs, maxMs) {
  // Exponential backoff between reconnect attempts; ioredis keeps retrying while this returns a
  // number, so a Redis restart is survived without intervention.
  return (times) => Math.min(baseMs * 2 ** Math.min(times - 1, 30), maxMs);
}

/**
 * @param {object} config REDIS_URL, REDIS_PREFIX, RECONNECT_BASE_MS, RECONNECT_MAX_MS
 * @param {{ logger?: object, name?: string, options?: object }} [opts] options go to ioredis
 */
function createRedis(config, opts = {}) {
  const logger = opts.logger ?? createLogger({ name: 'redis', level: config.LOG_LEVEL });
  const prefix = config.REDIS_PREFIX ?? '';
  const baseMs = Number(config.RECONNECT_BASE_MS ?? 100);
  const maxMs = Number(config.RECONNECT_MAX_MS ?? 30_000);
  const ioOptions = {
    keyPrefix: prefix,
    connectionName: opts.name ?? config.SERVICE_NAME,
    retryStrategy: retryStrategy(baseMs, maxMs),
    ...opts.options,
  };
  return wrap(new Redis(config.REDIS_URL, ioOptions), { prefix, logger, ioOptions, url: config.REDIS_URL });
}

function wrap(client, ctx, isDuplicate = false) {
  const duplicates = new Set();

  // An 'error' without a listener would crash the process; ioredis reconnects on its own.
  client.on('error', (err) => ctx.logger.warn('redis connection error', { err }));

  client.prefix = ctx.prefix;
  client.prefixKey = (key) => `${ctx.prefix}${key}`;
  client.unprefixKey = (key) => (key.startsWith(ctx.prefix) ? key.slice(ctx.prefix.length) : key);

  const nativeDuplicate = client.duplicate.bind(client);
  /** A second connection with the same options, for blocking reads (XREAD BLOCK, BLPOP) or subscribe. */
  client.duplicate = (override) => {
    const dup = wrap(nativeDuplicate(override), ctx, true);
    duplicates.add(dup);
    dup.once('end', () => duplicates.delete(dup));
    return dup;
  };

  /** Closes this connection and every duplicate made from it; resolves once the socket is closed. */
  client.close = async () => {
    await Promise.all([...duplicates].map((d) => d.close()));
    if (client.status === 'end') return;
    // With a live (or opening) socket ioredis reports 'end' once it is closed. In 'reconnecting'
    // there is no socket: disconnect() only cancels the retry timer and no 'end' follows.
    const ended = ['wait', 'connecting', 'connect', 'ready'].includes(client.status)
      ? new Promise((resolve) => client.once('end', resolve))
      : Promise.resolve();
    // QUIT waits for the replies of commands already sent; on a duplicate blocked in XREAD BLOCK
    // that wait is unbounded, so duplicates (the blocking connections) are disconnected outright.
    if (!isDuplicate && client.status === 'ready') {
      await client.quit().catch(() => client.disconnect());
    } else {
      client.disconnect();
    }
    await ended;
  };
  return client;
}

module.exports = { createRedis };
