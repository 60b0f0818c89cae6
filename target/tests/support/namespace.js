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

function newId() {
  // Names only; nothing observable by a test depends on them, so randomness here cannot make a
  // result flip. The run token keeps concurrent runs on one machine (or in pid-namespaced
  // sandboxes, where pids repeat) apart.
  return `dn_${crypto.randomBytes(6).toString('hex')}`;
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

/**
 * Creates a namespace.
 * @param {object} [options]
 * @param {string[]} [options.databases] which of pipeline/users/metrics/billing to create (default all)
 * @param {boolean} [options.rabbit] create a vhost (default true)
 * @returns {Promise<{ id: string, env: Record<string,string>, databaseUrls: Record<string,string>, drop: () => Promise<void> }>}
 */
async function createNamespace(options = {}) {
  const databases = options.databases || ALL_DATABASES;
  const withRabbit = options.rabbit !== false;
  const id = options.id || newId();
  const user = decodeURIComponent(new URL(urls.amqpUrl).username || 'guest');

  const databaseUrls = {};
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
  const objectStoreDir = fs.mkdtempSync(path.join(os.tmpdir(), `${id}-objects-`));

  const env = {
    NODE_ENV: 'test',
    REDIS_URL: urls.redisUrl,
    REDIS_PREFIX: `${id}:`,
    AMQP_URL: withRabbit ? amqpUrlForVhost(id) : urls.amqpUrl,
    OBJECT_STORE_DIR: objectStoreDir,
    LOG_LEVEL: 'silent',
  };
  for (const [name, url] of Object.entries(databaseUrls)) env[`${name.toUpperCase()}_DATABASE_URL`] = url;

  let dropped = false;
  async function drop() {
    if (dropped) return;
    dropped = true;
    const errors = [];
    for (const name of databases) {
      await adminQuery(`DROP DATABASE IF EXISTS "${id}_${name}" WITH (FORCE)`).catch((e) => errors.push(e));
    }
    if (withRabbit) await rabbitManagement('DELETE', `vhosts/${encodeURIComponent(id)}`).catch((e) => errors.push(e));
    await deleteRedisPrefix(`${id}:`).catch((e) => errors.push(e));
    fs.rmSync(objectStoreDir, { recursive: true, force: true });
    if (errors.length) throw new AggregateError(errors, `namespace ${id} was not dropped cleanly`);
  }

  return { id, env, databaseUrls, drop };
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
  const handle = {};
  beforeAll(async () => {
    Object.assign(handle, await createNamespace(options));
  });
  afterAll(async () => {
    if (handle.drop) await handle.drop();
  });
  return handle;
}

module.exports = { createNamespace, useNamespace, ALL_DATABASES };
