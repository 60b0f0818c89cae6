'use strict';

const { service } = require('../../../../shared');
const utils = require('../../../../shared/utils');

const { defineErrors, createError, createFakeClock } = utils;
const { promiseState } = require('../../../support/deferred');

const { createErrorMapper, isStoreUnavailable, readiness, withDeadline, SERVICES, serviceEntry, defaultRoutes } = service;

const CATALOGUE = defineErrors({
  DEMO_NOT_FOUND: { statusCode: 404, message: 'not found' },
  DEMO_UPSTREAM_FAILED: { statusCode: 502, message: 'upstream failed' },
  DEMO_BROKEN: { statusCode: 500, message: 'broken' },
  DEMO_STORE_UNAVAILABLE: { statusCode: 503, message: 'demo store unavailable' },
});
const mapError = createErrorMapper({ prefix: 'DEMO', catalogue: CATALOGUE });

describe('error mapper', () => {
  test('a catalogued code keeps its status and message', () => {
    expect(mapError(createError(CATALOGUE.DEMO_NOT_FOUND, 'widget 7 not found'))).toEqual({ status: 404, code: 'DEMO_NOT_FOUND', message: 'widget 7 not found' });
    expect(mapError(createError(CATALOGUE.DEMO_UPSTREAM_FAILED))).toEqual({ status: 502, code: 'DEMO_UPSTREAM_FAILED', message: 'upstream failed' });
  });

  test('the catalogue decides the status, not a status the error carries', () => {
    const err = createError(CATALOGUE.DEMO_NOT_FOUND, 'gone', { statusCode: 500 });
    expect(mapError(err).status).toBe(404);
  });

  test('shared library codes map through the shared catalogue', () => {
    expect(mapError(createError('DN_DB_CLOSED'))).toEqual({ status: 503, code: 'DN_DB_CLOSED', message: 'the postgres client is closed' });
    expect(mapError(createError('DN_OBJECT_KEY_INVALID', 'bad key'))).toMatchObject({ status: 400, code: 'DN_OBJECT_KEY_INVALID' });
  });

  test('a code catalogued as 500 and an unknown error both answer the generic internal error', () => {
    const internal = { status: 500, code: 'DEMO_INTERNAL', message: 'internal error' };
    expect(mapError(createError(CATALOGUE.DEMO_BROKEN, 'secret detail'))).toEqual(internal);
    expect(mapError(new TypeError('cannot read properties of undefined'))).toEqual(internal);
    expect(mapError(Object.assign(new Error('x'), { statusCode: 502 }))).toEqual(internal);
  });

  test('schema validation failures are 400 INVALID_REQUEST with the validator message', () => {
    const err = Object.assign(new Error('body must have required property name'), { validation: [{}], statusCode: 400 });
    expect(mapError(err)).toEqual({ status: 400, code: 'DEMO_INVALID_REQUEST', message: 'body must have required property name' });
  });

  test('connection failures become STORE_UNAVAILABLE when the catalogue has it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const adminShutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const timeout = new Error('Query read timeout');
    for (const err of [refused, adminShutdown, timeout]) {
      expect(mapError(err)).toEqual({ status: 503, code: 'DEMO_STORE_UNAVAILABLE', message: 'demo store unavailable' });
    }
    const noStore = createErrorMapper({ prefix: 'NOSTORE', catalogue: defineErrors({}) });
    expect(noStore(refused)).toEqual({ status: 500, code: 'NOSTORE_INTERNAL', message: 'internal error' });
  });

  test('isStoreUnavailable says no to request errors', () => {
    expect(isStoreUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(isStoreUnavailable(null)).toBe(false);
    expect(isStoreUnavailable(Object.assign(new Error('server closed the connection unexpectedly'), { code: '08006' }))).toBe(true);
  });

  test("fastify's own client errors keep their status and code", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(mapError(tooLarge)).toEqual({ status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'Request body is too large' });
  });
});

describe('deadlines and readiness', () => {
  test('withDeadline rejects with the given error at the deadline on the given clock, and clears its timer', async () => {
    const clock = createFakeClock(0);
    const never = new Promise(() => {});
    const bounded = withDeadline(never, clock, 100, () => new Error('late'));
    await clock.advanceAsync(99);
    expect(await promiseState(bounded)).toBe('pending');
    await clock.advanceAsync(1);
    await expect(bounded).rejects.toThrow('late');
    expect(clock.timerCount()).toBe(0);
    await expect(withDeadline(Promise.resolve(7), clock, 100)).resolves.toBe(7);
    expect(clock.timerCount()).toBe(0);
  });

  test('readiness reports every named check: values, ok, failures and the deadline', async () => {
    const clock = createFakeClock(0);
    const report = readiness(
      {
        postgres: { run: async () => undefined },
        pending: { run: () => 3 },
        routes: { run: () => 0, ready: (n) => n > 0 },
        redis: { run: () => Promise.reject(new Error('connection refused')) },
        broker: { run: () => new Promise(() => {}), deadlineMs: 250 },
      },
      clock,
    );
    await clock.advanceAsync(250);
    expect(await report).toEqual({
      ok: false,
      body: { status: 'not-ready', checks: { postgres: 'ok', pending: 3, routes: 0, redis: 'down: connection refused', broker: 'down: no answer within 250 ms' } },
    });
  });

  test('readiness is ready when every check passes, and with no checks at all', async () => {
    const clock = createFakeClock(0);
    expect(await readiness({ a: { run: () => 'ok' }, b: { run: () => 2, ready: (n) => n > 0 } }, clock)).toEqual({ ok: true, body: { status: 'ready', checks: { a: 'ok', b: 2 } } });
    expect(await readiness({}, clock)).toEqual({ ok: true, body: { status: 'ready', checks: {} } });
  });
});

describe('service table', () => {
  test('names and ports are unique, and every port is a valid default', () => {
    const names = SERVICES.map((s) => s.name);
    const ports = SERVICES.map((s) => s.port);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(Number.isInteger(port) && port > 0 && port < 65536).toBe(true);
    expect(Object.isFrozen(SERVICES)).toBe(true);
    expect(Object.isFrozen(serviceEntry('auth').route.anonymous)).toBe(true);
  });

  test('the default gateway routes are every routed service under its own name', () => {
    const routes = defaultRoutes();
    expect(Object.keys(routes).sort()).toEqual(SERVICES.filter((s) => s.route).map((s) => s.name).sort());
    expect(routes.gateway).toBeUndefined();
    expect(routes.admin).toEqual({ service: 'admin', prefix: '/admin' });
    expect(routes.auth).toEqual({ service: 'auth', prefix: '/v1', anonymous: ['POST /sessions'], blocked: ['/keys/verify'] });
  });

  test('an unknown service name is refused with the known names', () => {
    expect(() => serviceEntry('nope')).toThrow(/unknown service "nope"; known: gateway, auth/);
  });
});

describe('.env.example', () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const root = path.join(__dirname, '..', '..', '..', '..');
  const listed = new Set(
    fs.readFileSync(path.join(root, '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line))
      .filter(Boolean)
      .map((match) => match[1]),
  );

  test('lists every variable the shared library and each built service read, and the launcher ports', () => {
    const wanted = new Set(Object.keys(utils.BASE_SCHEMA));
    for (const name of fs.readdirSync(path.join(root, 'services'))) {
      const configFile = path.join(root, 'services', name, 'src', 'config.js');
      if (!fs.existsSync(configFile)) continue;
      for (const key of Object.keys(require(configFile).ENV_SCHEMA)) wanted.add(key);
      wanted.add(`${name.toUpperCase()}_PORT`);
    }
    expect([...wanted].filter((key) => !listed.has(key))).toEqual([]);
  });
});

describe('service config and error helpers', () => {
  test('serviceSchema gives the name, the table port and the required internal token', () => {
    const parse = service.configParser(service.serviceSchema('admin', { EXTRA_MS: { type: 'duration-ms', default: 5 } }));
    const config = parse({ INTERNAL_TOKEN: 't' });
    expect([config.SERVICE_NAME, config.PORT, config.INTERNAL_TOKEN, config.EXTRA_MS]).toEqual(['admin', 3013, 't', 5]);
    expect(parse({ INTERNAL_TOKEN: 't', PORT: '0', EXTRA_MS: '2s' })).toMatchObject({ PORT: 0, EXTRA_MS: 2000 });
    expect(() => parse({})).toThrow(expect.objectContaining({ code: 'DN_CONFIG_INVALID', details: expect.objectContaining({ key: 'INTERNAL_TOKEN' }) }));
    expect(() => service.serviceSchema('nope')).toThrow(/unknown service/);
  });

  test('errorFactory builds typed errors of one catalogue', () => {
    const demoError = service.errorFactory(CATALOGUE);
    const err = demoError('DEMO_NOT_FOUND', 'widget 3 not found', { id: 3 });
    expect(utils.isDataNexusError(err, 'DEMO_NOT_FOUND')).toBe(true);
    expect([err.statusCode, err.message, err.details]).toEqual([404, 'widget 3 not found', { id: 3 }]);
    expect(demoError('DEMO_NOT_FOUND').message).toBe('not found');
  });
});
