'use strict';

// A namespace is one test file's (or one episode's) private slice of the real servers:
// its own PostgreSQL databases, its own Redis key prefix and its own RabbitMQ vhost. Parallel jest
// workers and parallel episodes never see each other's data because nothing is shared by name.
//
// The harness only creates empty resources. Migrations, topology and stream groups are created by
// the code under test, so a defect there fails the tests that need it instead of the whole run.

const crypto = require('node:crypto');
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');
const { Client } = require('pg');
const Redis = require('ioredis');
const urls = require('./infra-urls');

const ALL_DATABASES = ['pipeline', 'users', 'metrics', 'billing'];

// Set when the servers are reached as a restricted user that may only create and use resources
// named under this prefix (its databases, keys, channels and vhosts): every name starts with it.
const PREFIX = process.env.DN_NAMESPACE_PREFIX || '';

function newId() {
  // Names only; nothing observable by a test depends on them, so randomness here cannot make a
  // result flip. The run token keeps concurrent runs on one machine (or in pid-namespaced
  // sandboxes, where pids repeat) apart.
  return `${PREFIX ? `${PREFIX}_` : 'dn_'}${crypto.randomBytes(6).toString('hex')}`;
}

function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(sql) {
  const client = new Client({ connectionString: urls.postgresAdminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function rabbitManagement(method, resource, body) {
  const base = new URL(urls.rabbitManagementUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64');
  base.username = '';
  base.password = '';
  const res = await fetch(new URL(`/api/${resource}`, base), {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) {
    throw new Error(`RabbitMQ management ${method} ${resource} answered ${res.status}: ${await res.text()}`);
  }
}

function amqpUrlForVhost(vhost) {
  const u = new URL(urls.amqpUrl);
  u.pathname = `/${encodeURIComponent(vhost)}`;
  return u.toString();
}

// Every live namespace is listed here (outside any namespace's prefix) from before its first
// resource exists until after its last one is gone, so a run killed half-way (SIGKILL, OOM, a lost
// sandbox) leaves a record that sweepNamespaces can act on. A restricted user keeps its own list
// under its prefix (whoever gave it the prefix removes everything under it when it is done).
const REGISTRY_KEY = PREFIX ? `${PREFIX}_namespaces` : 'datanexus:namespaces';

function withRegistry(fn) {
  const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  return redis.connect().then(() => fn(redis)).finally(() => redis.disconnect());
}

/**
 * Creates a namespace.
 * @param {object} [options]
 * @param {string[]} [options.databases] which of pipeline/users/metrics/billing to create (default all)
 * @param {boolean} [options.rabbit] create a vhost (default true)
 * @param {number} [options.ownerPid] a process on this host whose death means the namespace is
 *   abandoned (the environment server passes its own pid); without it only age counts
 * @returns {Promise<{ id: string, env: Record<string,string>, databaseUrls: Record<string,string>, drop: () => Promise<void> }>}
 */
async function createNamespace(options = {}) {
  const databases = options.databases || ALL_DATABASES;
  const withRabbit = options.rabbit !== false;
  const id = options.id || newId();
  const user = decodeURIComponent(new URL(urls.amqpUrl).username || 'guest');
  const objectStoreDir = fs.mkdtempSync(path.join(os.tmpdir(), `${id}-objects-`));
  const record = { id, databases, rabbit: withRabbit, objectStoreDir, createdAt: Date.now() };
  if (options.ownerPid !== undefined) Object.assign(record, { ownerPid: options.ownerPid, ownerHost: os.hostname() });
  await withRegistry((redis) => redis.hset(REGISTRY_KEY, id, JSON.stringify(record)));

  const databaseUrls = {};
  try {
    for (const name of databases) {
      const dbName = `${id}_${name}`;
      await adminQuery(`CREATE DATABASE "${dbName}"`);
      databaseUrls[name] = withDatabase(urls.postgresAdminUrl, dbName);
    }
    if (withRabbit) {
      await rabbitManagement('PUT', `vhosts/${encodeURIComponent(id)}`);
      await rabbitManagement('PUT', `permissions/${encodeURIComponent(id)}/${encodeURIComponent(user)}`, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    }
  } catch (err) {
    await dropResources(record).catch(() => {});
    throw err;
  }

  const env = {
    NODE_ENV: 'test',
    REDIS_URL: urls.redisUrl,
    REDIS_PREFIX: `${id}:`,
    AMQP_URL: withRabbit ? amqpUrlForVhost(id) : urls.amqpUrl,
    OBJECT_STORE_DIR: objectStoreDir,
    LOG_LEVEL: 'silent',
  };
  for (const [name, url] of Object.entries(databaseUrls)) env[`${name.toUpperCase()}_DATABASE_URL`] = url;

  let dropped;
  function drop() {
    dropped = dropped || dropResources(record);
    return dropped;
  }

  return { id, env, databaseUrls, drop };
}

// A test that has just ended its pool may still have connections closing: pg's pool.end()
// resolves once it has asked its clients to end, not once their sockets are closed. Terminating
// such a backend makes the server send the client a FATAL error while it is ending, which a pool
// without an 'error' listener turns into an uncaught exception in the test. So the drop first
// lets the connections go, re-checking a bounded number of times (round trips, not time), and
// only then forces whatever a test really left open.
const DRAIN_CHECKS = 50;

async function dropDatabases(id, databases, errors) {
  const names = databases.map((name) => `${id}_${name}`);
  const client = new Client({ connectionString: urls.postgresAdminUrl });
  try {
    await client.connect();
    for (let i = 0; i < DRAIN_CHECKS; i++) {
      const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1)', [names]);
      if (rows[0].n === 0) break;
    }
    for (const name of names) {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch((e) => errors.push(e));
    }
  } catch (err) {
    errors.push(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops everything a namespace record names, then the record; safe to repeat. */
async function dropResources({ id, databases, rabbit, objectStoreDir }) {
  const errors = [];
  if (databases.length > 0) await dropDatabases(id, databases, errors);
  if (rabbit) await rabbitManagement('DELETE', `vhosts/${encodeURIComponent(id)}`).catch((e) => errors.push(e));
  await deleteRedisPrefix(`${id}:`).catch((e) => errors.push(e));
  fs.rmSync(objectStoreDir, { recursive: true, force: true });
  if (errors.length) throw new AggregateError(errors, `namespace ${id} was not dropped cleanly`);
  await withRegistry((redis) => redis.hdel(REGISTRY_KEY, id));
}

/** Whether nobody can still be using the namespace `record` describes. */
function isAbandoned(record, { olderThanMs, now }) {
  if (record.ownerPid === undefined) return now - record.createdAt > olderThanMs;
  // Owned namespaces live as long as their owner (episodes can last hours); another host's owner
  // cannot be checked from here, so its namespaces are left alone.
  if (record.ownerHost !== os.hostname()) return false;
  try {
    process.kill(record.ownerPid, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';
  }
}

/**
 * Drops abandoned namespaces: owned ones whose owner process on this host has exited, and unowned
 * ones (a test file's) older than `olderThanMs`, far longer than any test file runs.
 * @param {{ olderThanMs?: number, now?: number, only?: string[] }} [options] `only`: consider just these ids
 * @returns {Promise<{ dropped: string[], failed: { id: string, error: string }[], kept: number }>}
 */
async function sweepNamespaces({ olderThanMs = 3600_000, now = Date.now(), only } = {}) {
  const all = await withRegistry((redis) => redis.hgetall(REGISTRY_KEY));
  const dropped = [];
  const failed = [];
  let kept = 0;
  for (const [id, raw] of Object.entries(all)) {
    if (only && !only.includes(id)) continue;
    let record;
    try {
      record = JSON.parse(raw);
    } catch {
      await withRegistry((redis) => redis.hdel(REGISTRY_KEY, id));
      continue;
    }
    if (!isAbandoned(record, { olderThanMs, now })) {
      kept += 1;
      continue;
    }
    await dropResources(record).then(
      () => dropped.push(id),
      (err) => failed.push({ id, error: err.message }),
    );
  }
  return { dropped: dropped.sort(), failed, kept };
}

async function deleteRedisPrefix(prefix) {
  const redis = new Redis(urls.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * Jest helper: one namespace for the calling test file, created in beforeAll, dropped in afterAll.
 * Returns a handle whose `env`, `id` and `databaseUrls` are readable once beforeAll has run.
 */
function useNamespace(options) {
  const cleanups = [];
  // `ns.cleanup(fn)`: fn runs in this afterAll, in reverse order, before the namespace is dropped
  // (a test file's own afterAll runs after this one, when the databases are already gone).
  const handle = { cleanup: (fn) => cleanups.push(fn) };
  beforeAll(async () => {
    Object.assign(handle, await createNamespace(options));
  });
  afterAll(async () => {
    try {
      for (const fn of cleanups.splice(0).reverse()) await fn();
    } finally {
      if (handle.drop) await handle.drop();
    }
  });
  return handle;
}

module.exports = { createNamespace, useNamespace, sweepNamespaces, ALL_DATABASES, REGISTRY_KEY };
