'use strict';

// Service registry and KV store on Redis.
//
// An instance is live while its `expiresAt` (from the clock passed in) is in the future; a heartbeat
// on the same clock pushes it forward every healthIntervalMs. Expiry is judged by the clock, not by
// Redis key TTLs, so tests decide when an instance dies by advancing a fake clock.
//
// Layout (under the client's REDIS_PREFIX):
//   registry:services              SET   of service names
//   registry:svc:<name>            ZSET  instance id -> expiresAt
//   registry:inst:<name>:<id>      HASH  instance fields
//   kv:data:<key>                  STRING JSON value
//   kv:index                       ZSET  all KV keys (score 0), for prefix listing without SCAN

const { EventEmitter } = require('node:events');
const { systemClock } = require('../utils/clock');
const { createLogger } = require('../utils/logger');
const { ERRORS, createError } = require('../utils/errors');

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const KV_KEY_MAX = 512;

function invalid(message, details) {
  return createError(ERRORS.DN_REGISTRY_INVALID, message, { details });
}

// Interval and TTL are milliseconds; a value taken straight from the environment is a numeric
// string, which is accepted as well.
function requireMs(field, value) {
  if (!Number.isFinite(Number(value)) || Number(value) <= 0) {
    throw invalid(`${field} must be a positive number of milliseconds, got ${JSON.stringify(value)} (${typeof value})`, {
      field,
      received: value,
    });
  }
  return value;
}

function svcKey(name) {
  return `registry:svc:${name}`;
}
function instKey(name, id) {
  return `registry:inst:${name}:${id}`;
}

function parseInstance(hash) {
  if (!hash || hash.id === undefined) return null;
  return {
    id: hash.id,
    name: hash.name,
    host: hash.host,
    port: Number(hash.port),
    address: `${hash.host}:${hash.port}`,
    meta: JSON.parse(hash.meta || '{}'),
    registeredAt: Number(hash.registeredAt),
    expiresAt: Number(hash.expiresAt),
  };
}

/**
 * @param {{ redis: object, clock?: object, config?: object, logger?: object }} deps
 *   redis: a client from createRedis (its key prefix isolates the registry)
 */
function createRegistry({ redis, clock = systemClock, config = {}, logger } = {}) {
  if (!redis) throw invalid('createRegistry needs a redis client', {});
  const log = logger ?? createLogger({ name: 'registry', level: config.LOG_LEVEL });
  const emitter = new EventEmitter();
  const registrations = new Map(); // `${name}:${id}` -> { inst, timer, stopped, inflight }

  async function write(inst) {
    await redis
      .multi()
      .sadd('registry:services', inst.name)
      .hset(instKey(inst.name, inst.id), {
        id: inst.id,
        name: inst.name,
        host: inst.host,
        port: String(inst.port),
        meta: JSON.stringify(inst.meta),
        registeredAt: String(inst.registeredAt),
        expiresAt: String(inst.expiresAt),
      })
      .zadd(svcKey(inst.name), inst.expiresAt, inst.id)
      .exec()
      .then(throwOnMultiError);
  }

  function heartbeat(reg) {
    if (reg.stopped) return reg.inflight;
    const run = (async () => {
      reg.inst.expiresAt = clock.now() + reg.ttlMs;
      try {
        await write(reg.inst);
        emitter.emit('heartbeat', { name: reg.inst.name, id: reg.inst.id, expiresAt: reg.inst.expiresAt });
      } catch (err) {
        // A missed beat is survivable (the next one rewrites the whole instance); report it.
        log.warn('registry heartbeat failed', { name: reg.inst.name, id: reg.inst.id, err });
        emitter.emit('heartbeat-failed', { name: reg.inst.name, id: reg.inst.id, err });
      }
    })();
    reg.inflight = run;
    return run;
  }

  /**
   * Registers an instance and starts its heartbeat. Rejects (never swallows) on invalid input or a
   * Redis failure: a service that cannot be found must not start as if it could.
   * @returns {Promise<{ id: string, name: string, expiresAt: number, deregister(): Promise<void> }>}
   */
  async function register(opts = {}) {
    const { name, host, port, meta = {} } = opts;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw invalid(`service name must match ${NAME_PATTERN}, got ${JSON.stringify(name)}`, { field: 'name' });
    }
    if (typeof host !== 'string' || host === '') {
      throw invalid(`host must be a non-empty string, got ${JSON.stringify(host)}`, { field: 'host' });
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw invalid(`port must be an integer 0..65535, got ${JSON.stringify(port)}`, { field: 'port' });
    }
    const id = opts.id ?? `${name}-${host}-${port}`;
    if (typeof id !== 'string' || !NAME_PATTERN.test(id)) {
      throw invalid(`instance id must match ${NAME_PATTERN}, got ${JSON.stringify(id)}`, { field: 'id' });
    }
    const ttlMs = requireMs('ttlMs', opts.ttlMs ?? config.REGISTRY_TTL_MS);
    const healthIntervalMs = requireMs('healthIntervalMs', opts.healthIntervalMs ?? config.HEALTH_INTERVAL_MS);
    if (healthIntervalMs >= ttlMs) {
      throw invalid(`healthIntervalMs (${healthIntervalMs}) must be shorter than ttlMs (${ttlMs}), or instances flap`, {
        field: 'healthIntervalMs',
      });
    }

    const key = `${name}:${id}`;
    if (registrations.has(key)) await deregister(id, name);

    const now = clock.now();
    const inst = { id, name, host, port, meta, registeredAt: now, expiresAt: now + ttlMs };
    await write(inst);

    const reg = { inst, ttlMs, healthIntervalMs, stopped: false, inflight: Promise.resolve(), timer: null };
    reg.timer = clock.setInterval(() => heartbeat(reg), healthIntervalMs);
    if (typeof reg.timer.unref === 'function') reg.timer.unref();
    registrations.set(key, reg);
    log.info('service registered', { name, id, host, port, ttlMs, healthIntervalMs });
    return { id, name, expiresAt: inst.expiresAt, deregister: () => deregister(id, name) };
  }

  async function stop(reg) {
    reg.stopped = true;
    clock.clearInterval(reg.timer);
    // A heartbeat already on the wire would re-create the instance after its removal.
    await reg.inflight;
  }

  /**
   * Removes this registry's instances from Redis and stops their heartbeats: all of them, or the
   * one with `id` (optionally of service `name`).
   */
  async function deregister(id, name) {
    const targets = [...registrations.entries()].filter(
      ([, reg]) => (id === undefined || reg.inst.id === id) && (name === undefined || reg.inst.name === name),
    );
    if (id !== undefined && targets.length === 0) {
      throw createError(ERRORS.DN_REGISTRY_NOT_REGISTERED, `instance "${id}" is not registered here`, {
        details: { id, name },
      });
    }
    for (const [key, reg] of targets) {
      registrations.delete(key);
      await stop(reg);
      await redis
        .multi()
        .zrem(svcKey(reg.inst.name), reg.inst.id)
        .del(instKey(reg.inst.name, reg.inst.id))
        .exec()
        .then(throwOnMultiError);
    }
  }

  /** Live instances of `name` (expiresAt after the clock's now), sorted by id. */
  async function lookup(name) {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw invalid(`service name must match ${NAME_PATTERN}, got ${JSON.stringify(name)}`, { field: 'name' });
    }
    const now = clock.now();
    const ids = await redis.zrangebyscore(svcKey(name), `(${now}`, '+inf');
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(instKey(name, id));
    const replies = throwOnMultiError(await pipeline.exec());
    return replies
      .map(parseInstance)
      .filter((inst) => inst !== null && inst.expiresAt > now)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Names of every service that has ever registered in this namespace, sorted. */
  async function services() {
    return (await redis.smembers('registry:services')).sort();
  }

  /** Removes expired instances of `name` from Redis; returns how many were removed. */
  async function prune(name) {
    const now = clock.now();
    const ids = await redis.zrangebyscore(svcKey(name), '-inf', now);
    for (const id of ids) {
      // An instance that heartbeats between the read and this delete writes itself back in full
      // on its next beat, so the race costs at most one interval of visibility.
      await redis.multi().zrem(svcKey(name), id).del(instKey(name, id)).exec().then(throwOnMultiError);
    }
    return ids.length;
  }

  /** Stops heartbeats without removing anything (what a crash looks like to other instances). */
  async function close() {
    const regs = [...registrations.values()];
    registrations.clear();
    await Promise.all(regs.map(stop));
  }

  const kv = createKv(redis);

  Object.assign(emitter, { register, deregister, lookup, services, prune, close, kv });
  return emitter;
}

function throwOnMultiError(replies) {
  if (replies === null) throw new Error('redis transaction was aborted');
  const out = [];
  for (const [err, value] of replies) {
    if (err) throw err;
    out.push(value);
  }
  return out;
}

function validateKvKey(key) {
  if (typeof key !== 'string' || key === '' || key.length > KV_KEY_MAX || /[\u0000-\u001f]/.test(key)) {
    throw createError(ERRORS.DN_REGISTRY_KV_KEY_INVALID, `KV key must be 1..${KV_KEY_MAX} printable characters, got ${JSON.stringify(key)}`, {
      details: { key },
    });
  }
  return key;
}

function createKv(redis) {
  const dataKey = (key) => `kv:data:${key}`;
  return {
    /** The JSON value stored under `key`, or undefined. */
    async get(key) {
      const raw = await redis.get(dataKey(validateKvKey(key)));
      return raw === null ? undefined : JSON.parse(raw);
    },
    async set(key, value) {
      validateKvKey(key);
      const json = JSON.stringify(value);
      if (json === undefined) {
        throw createError(ERRORS.DN_REGISTRY_KV_KEY_INVALID, `KV value for "${key}" is not JSON-serialisable`, {
          details: { key },
        });
      }
      await redis.multi().set(dataKey(key), json).zadd('kv:index', 0, key).exec().then(throwOnMultiError);
    },
    /** Deletes `key`; resolves true when it existed. */
    async del(key) {
      validateKvKey(key);
      const [deleted] = await redis.multi().del(dataKey(key)).zrem('kv:index', key).exec().then(throwOnMultiError);
      return deleted === 1;
    },
    /** `[{ key, value }]` for every key starting with `prefix`, in byte order of the keys. */
    async list(prefix = '') {
      const keys =
        prefix === ''
          ? await redis.zrangebylex('kv:index', '-', '+')
          : await redis.zrangebylex('kv:index', `[${prefix}`, Buffer.concat([Buffer.from(`[${prefix}`), Buffer.from([0xff])]));
      if (keys.length === 0) return [];
      const values = await redis.mget(keys.map(dataKey));
      const out = [];
      keys.forEach((key, i) => {
        if (values[i] !== null) out.push({ key, value: JSON.parse(values[i]) });
      });
      return out;
    },
  };
}

module.exports = { createRegistry, createKv };
