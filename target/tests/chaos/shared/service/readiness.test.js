'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { createDeferred } = require('../../../support/deferred');
const { waitForEvent } = require('../../../support/wait-for');
const infra = require('../../../support/infra-urls');
const { service, clients, utils } = require('../../../../shared');

const { createHttpApp } = service;
const { defineErrors, createFakeClock, silentLogger } = utils;

// Readiness of a kit app whose PostgreSQL and Redis go through fault proxies. Each check signals
// when it has started (its deadline timer is set by then) and when it has finished, so the fake
// clock is advanced past the deadline only once the probe is waiting on the faulty dependency
// and the healthy one has answered.
const DEADLINE_MS = 1000;

const ns = useNamespace({ databases: ['users'], rabbit: false });
let clock;
let pgProxy;
let redisProxy;
let postgres;
let redis;
let app;
let base;
let probe = newProbe();

function newProbe() {
  return { started: { postgres: createDeferred(), redis: createDeferred() }, finished: { postgres: createDeferred(), redis: createDeferred() } };
}

beforeAll(async () => {
  clock = createFakeClock(1_700_000_000_000);
  const pg = new URL(infra.postgresAdminUrl);
  const rd = new URL(infra.redisUrl);
  pgProxy = await createFaultProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  redisProxy = await createFaultProxy({ host: rd.hostname, port: Number(rd.port || 6379) });
  const config = utils.loadConfig({
    ...ns.env,
    USERS_DATABASE_URL: pgProxy.url(ns.env.USERS_DATABASE_URL),
    REDIS_URL: redisProxy.url(ns.env.REDIS_URL),
    RECONNECT_BASE_MS: '20',
    RECONNECT_MAX_MS: '50',
  });
  postgres = clients.createPostgres(config, { logger: silentLogger });
  redis = clients.createRedis(config, { logger: silentLogger, name: 'kit-chaos' });
  const signalled = (name, run) => async () => {
    const { started, finished } = probe;
    started[name].resolve();
    try {
      return await run();
    } finally {
      finished[name].resolve();
    }
  };
  app = createHttpApp({
    service: 'demo',
    prefix: 'DEMO',
    catalogue: defineErrors({}),
    logger: silentLogger,
    clock,
    checks: {
      postgres: { run: signalled('postgres', async () => { await postgres.query('users', 'SELECT 1'); }), deadlineMs: DEADLINE_MS },
      redis: { run: signalled('redis', async () => { await redis.ping(); }), deadlineMs: DEADLINE_MS },
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${app.server.address().port}`;
});

ns.cleanup(async () => {
  pgProxy.stall(false);
  pgProxy.refuse(false);
  redisProxy.refuse(false);
  if (app) await app.close();
  if (redis) await redis.close();
  if (postgres) await postgres.close();
  await pgProxy.close();
  await redisProxy.close();
});

/**
 * GET /ready. With `stalled`, the fake clock is moved past the deadline once both checks have
 * started and the other (healthy) check has finished.
 */
async function ready({ stalled } = {}) {
  probe = newProbe();
  const { started, finished } = probe;
  const pending = fetch(`${base}/ready`).then(async (res) => ({ status: res.status, body: await res.json() }));
  if (stalled) {
    const healthy = stalled === 'postgres' ? 'redis' : 'postgres';
    await Promise.all([started[stalled].promise, finished[healthy].promise]);
    await clock.advanceAsync(DEADLINE_MS);
  }
  return pending;
}

describe('readiness when a dependency is cut', () => {
  test('with both dependencies up the service is ready', async () => {
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } } });
  });

  test('a stalled database fails its check at the deadline, and only that check', async () => {
    pgProxy.stall(true);
    try {
      const res = await ready({ stalled: 'postgres' });
      expect(res).toEqual({ status: 503, body: { status: 'not-ready', checks: { postgres: `down: no answer within ${DEADLINE_MS} ms`, redis: 'ok' } } });
    } finally {
      pgProxy.stall(false);
    }
    expect((await ready()).status).toBe(200);
  });

  test('a refused database fails readiness at once, and it recovers when the database is back', async () => {
    pgProxy.refuse(true);
    pgProxy.cut();
    try {
      const res = await ready();
      expect(res.status).toBe(503);
      expect(res.body.checks.postgres).toMatch(/^down: /);
      expect(res.body.checks.redis).toBe('ok');
    } finally {
      pgProxy.refuse(false);
    }
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } } });
  });

  test('a cut Redis connection fails its check at the deadline, and readiness returns with the reconnect', async () => {
    redisProxy.refuse(true);
    const lost = waitForEvent(redis, 'close');
    redisProxy.cut();
    await lost;
    try {
      const res = await ready({ stalled: 'redis' });
      expect(res).toEqual({ status: 503, body: { status: 'not-ready', checks: { postgres: 'ok', redis: `down: no answer within ${DEADLINE_MS} ms` } } });
    } finally {
      redisProxy.refuse(false);
    }
    if (redis.status !== 'ready') await waitForEvent(redis, 'ready');
    expect((await ready()).status).toBe(200);
  });
});
