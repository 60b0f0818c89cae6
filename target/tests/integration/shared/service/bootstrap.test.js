'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const fastify = require('fastify');
const { useNamespace } = require('../../../support/namespace');
const { defineService } = require('../../../../shared/service');
const { loadConfig } = require('../../../../shared/utils/config');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createRedis } = require('../../../../shared/clients/redis');
const { createRegistry } = require('../../../../shared/clients/discovery');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let clock;
let redis;
let registry;
let migrationsDir;

beforeAll(() => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  const config = loadConfig({ ...ns.env, LOG_LEVEL: 'silent' });
  redis = createRedis(config, { logger: silentLogger });
  registry = createRegistry({ redis, clock, config, logger: silentLogger });
  migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dn-bootstrap-'));
  fs.writeFileSync(path.join(migrationsDir, '001_probe.sql'), 'CREATE TABLE probe_items (id int PRIMARY KEY);\n');
});
afterAll(async () => {
  await registry.close();
  await redis.close();
  fs.rmSync(migrationsDir, { recursive: true, force: true });
});

/** A minimal service on the real servers; `steps` records the order of boot and stop steps. */
function probeService(steps, overrides = {}) {
  return defineService({
    name: 'probe',
    parseConfig: (env) => loadConfig(env),
    uses: { postgres: true },
    migrations: { dir: migrationsDir, table: 'probe_migrations', database: 'users' },
    createApp({ clients, onStop }) {
      steps.push('createApp');
      onStop(() => steps.push('cleanup 1'));
      onStop(() => steps.push('cleanup 2'));
      const app = fastify();
      app.get('/items', async () => (await clients.postgres.query('users', 'SELECT count(*)::int AS n FROM probe_items')).rows[0]);
      app.addHook('onClose', async () => steps.push('app closed'));
      return app;
    },
    onListening: () => steps.push('listening'),
    ...overrides,
  });
}

const start = (svc) => svc.start({ env: { ...ns.env, LOG_LEVEL: 'silent' }, clock, logger: silentLogger });

describe('defineService', () => {
  test('boots migrations, app, listener and registry entry, and stops them in reverse', async () => {
    const steps = [];
    const svc = probeService(steps);
    const handle = await start(svc);
    expect(steps).toEqual(['createApp', 'listening']);

    const res = await fetch(`${handle.url}/items`);
    expect(await res.json()).toEqual({ n: 0 });
    expect((await registry.lookup('probe')).map((i) => i.port)).toEqual([handle.port]);

    await handle.stop();
    expect(steps).toEqual(['createApp', 'listening', 'cleanup 2', 'cleanup 1', 'app closed']);
    expect(await registry.lookup('probe')).toEqual([]);
    expect(handle.clients.redis.status).toBe('end');
  });

  test('stop is idempotent and the service-wide stop covers every instance', async () => {
    const steps = [];
    const svc = probeService(steps);
    const a = await start(svc);
    const b = await start(svc);
    expect(await registry.lookup('probe')).toHaveLength(2);

    await svc.stop();
    await a.stop();
    await b.stop();
    expect(steps.filter((s) => s === 'app closed')).toHaveLength(2);
    expect(await registry.lookup('probe')).toEqual([]);
  });

  test('a failure while building the app rejects start and releases what was already acquired', async () => {
    const steps = [];
    const svc = probeService(steps, {
      createApp({ onStop }) {
        onStop(() => steps.push('cleanup'));
        throw new Error('app cannot be built');
      },
    });
    await expect(start(svc)).rejects.toThrow('app cannot be built');
    expect(steps).toEqual(['cleanup']);
    expect(await registry.lookup('probe')).toEqual([]);
    await expect(svc.stop()).resolves.toBeUndefined();
  });

  test('a failing migration stops the boot before the app is built', async () => {
    const badDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dn-bootstrap-bad-'));
    fs.writeFileSync(path.join(badDir, '001_broken.sql'), 'CREATE TABLE;\n');
    const steps = [];
    const svc = probeService(steps, { migrations: { dir: badDir, table: 'broken_migrations', database: 'users' } });
    try {
      await expect(start(svc)).rejects.toThrow(/syntax error/);
      expect(steps).toEqual([]);
      expect(await registry.lookup('probe')).toEqual([]);
    } finally {
      fs.rmSync(badDir, { recursive: true, force: true });
    }
  });
});
