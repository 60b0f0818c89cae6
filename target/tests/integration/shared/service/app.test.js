'use strict';

const { useNamespace } = require('../../../support/namespace');
const { service, clients, utils } = require('../../../../shared');

const { createHttpApp } = service;
const { defineErrors, createError, systemClock, silentLogger } = utils;

// A small service built on the kit, with readiness checks on the namespace's real PostgreSQL and
// Redis: what every real service gets from createHttpApp, over a real port.
const CATALOGUE = defineErrors({
  DEMO_WIDGET_NOT_FOUND: { statusCode: 404, message: 'widget not found' },
  DEMO_STORE_UNAVAILABLE: { statusCode: 503, message: 'demo store unavailable' },
});

const ns = useNamespace({ databases: ['users'], rabbit: false });
let postgres;
let redis;
let app;
let base;

beforeAll(async () => {
  const config = utils.loadConfig({ ...ns.env });
  postgres = clients.createPostgres(config, { logger: silentLogger });
  redis = clients.createRedis(config, { logger: silentLogger, name: 'kit-test' });
  app = createHttpApp({
    service: 'demo',
    prefix: 'DEMO',
    catalogue: CATALOGUE,
    logger: silentLogger,
    clock: systemClock,
    checks: {
      postgres: { run: async () => { await postgres.query('users', 'SELECT 1'); } },
      redis: { run: async () => { await redis.ping(); } },
    },
  });
  app.register(async function widgets(scope) {
    scope.get('/v1/widgets/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } }, required: ['id'] } } }, async (req) => {
      const { rows } = await postgres.query('users', 'SELECT $1::int AS id', [req.params.id]);
      if (rows[0].id > 100) throw createError(CATALOGUE.DEMO_WIDGET_NOT_FOUND, `widget ${rows[0].id} not found`);
      return { id: rows[0].id };
    });
    scope.post('/v1/widgets', { schema: { body: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } }, async (req) => ({ name: req.body.name }));
    scope.get('/v1/broken', async () => {
      throw new TypeError('internal detail that must not leak');
    });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${app.server.address().port}`;
});

ns.cleanup(async () => {
  if (app) await app.close();
  if (redis) await redis.close();
  if (postgres) await postgres.close();
});

async function get(path, init) {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: await res.json() };
}

describe('service kit app on real servers', () => {
  test('health names the service and readiness runs every check against the real servers', async () => {
    expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok', service: 'demo' } });
    expect(await get('/ready')).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } } });
  });

  test('a route answers, and a catalogued error is its status with the one error body', async () => {
    expect(await get('/v1/widgets/7')).toEqual({ status: 200, body: { id: 7 } });
    const missing = await get('/v1/widgets/101', { headers: { 'x-request-id': 'req-101' } });
    expect(missing).toEqual({ status: 404, body: { code: 'DEMO_WIDGET_NOT_FOUND', message: 'widget 101 not found', requestId: 'req-101' } });
  });

  test('invalid input is 400 INVALID_REQUEST and the server keeps answering', async () => {
    const bad = await get('/v1/widgets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nope: 1 }) });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'DEMO_INVALID_REQUEST' });
    expect(Object.keys(bad.body).sort()).toEqual(['code', 'message', 'requestId']);
    const badJson = await get('/v1/widgets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(badJson.status).toBe(400);
    expect(Object.keys(badJson.body).sort()).toEqual(['code', 'message', 'requestId']);
    expect((await get('/health')).status).toBe(200);
  });

  test('an unexpected failure is 500 with a generic message, never the internal one', async () => {
    const res = await get('/v1/broken');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 'DEMO_INTERNAL', message: 'internal error', requestId: expect.any(String) });
  });

  test('a closed database client turns a request into DN_DB_CLOSED 503 and readiness into not-ready', async () => {
    const config = utils.loadConfig({ ...ns.env });
    const closing = clients.createPostgres(config, { logger: silentLogger });
    await closing.close();
    const probe = createHttpApp({
      service: 'probe',
      prefix: 'DEMO',
      catalogue: CATALOGUE,
      logger: silentLogger,
      clock: systemClock,
      checks: { postgres: { run: () => closing.query('users', 'SELECT 1') } },
    });
    probe.get('/v1/count', async () => closing.query('users', 'SELECT 1'));
    await probe.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${probe.server.address().port}`;
      const count = await fetch(`${url}/v1/count`);
      expect(count.status).toBe(503);
      expect((await count.json()).code).toBe('DN_DB_CLOSED');
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.postgres).toMatch(/^down: /);
    } finally {
      await probe.close();
    }
  });
});
