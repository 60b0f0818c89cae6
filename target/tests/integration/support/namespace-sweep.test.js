'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const { Client } = require('pg');
const Redis = require('ioredis');
const urls = require('../../support/infra-urls');
const { createNamespace, sweepNamespaces, REGISTRY_KEY } = require('../../support/namespace');

const HOUR = 3600_000;
const created = [];

async function databaseExists(name) {
  const client = new Client({ connectionString: urls.postgresAdminUrl });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function registered(id) {
  const redis = new Redis(urls.redisUrl);
  try {
    return (await redis.hexists(REGISTRY_KEY, id)) === 1;
  } finally {
    redis.disconnect();
  }
}

async function make(options) {
  const ns = await createNamespace({ databases: ['users'], rabbit: false, ...options });
  created.push(ns);
  return ns;
}

/** The pid of a process that has already exited. */
function deadPid() {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

afterAll(async () => {
  await Promise.all(created.map((ns) => ns.drop()));
});

describe('namespaces left behind by killed runs', () => {
  test('a namespace is registered while it exists and unregistered once dropped', async () => {
    const ns = await make();
    expect(await registered(ns.id)).toBe(true);
    await ns.drop();
    expect(await registered(ns.id)).toBe(false);
    expect(await databaseExists(`${ns.id}_users`)).toBe(false);
  });

  test('a namespace whose owner process has exited is dropped with everything it holds', async () => {
    const ns = await make({ ownerPid: deadPid() });
    expect(await databaseExists(`${ns.id}_users`)).toBe(true);

    const result = await sweepNamespaces({ only: [ns.id] });
    expect(result).toEqual({ dropped: [ns.id], failed: [], kept: 0 });
    expect(await databaseExists(`${ns.id}_users`)).toBe(false);
    expect(fs.existsSync(ns.env.OBJECT_STORE_DIR)).toBe(false);
    expect(await registered(ns.id)).toBe(false);
  });

  test('a namespace whose owner is alive is kept however old it is', async () => {
    const ns = await make({ ownerPid: process.pid });
    const result = await sweepNamespaces({ only: [ns.id], now: Date.now() + 1000 * HOUR });
    expect(result).toEqual({ dropped: [], failed: [], kept: 1 });
    expect(await databaseExists(`${ns.id}_users`)).toBe(true);
  });

  test('an unowned namespace is dropped only once it is older than the limit', async () => {
    const ns = await make();
    expect(await sweepNamespaces({ only: [ns.id], olderThanMs: HOUR, now: Date.now() + HOUR / 2 })).toEqual({ dropped: [], failed: [], kept: 1 });
    expect(await sweepNamespaces({ only: [ns.id], olderThanMs: HOUR, now: Date.now() + 2 * HOUR })).toEqual({ dropped: [ns.id], failed: [], kept: 0 });
    expect(await databaseExists(`${ns.id}_users`)).toBe(false);
  });
});
