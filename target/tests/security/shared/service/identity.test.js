'use strict';

const crypto = require('node:crypto');
const { service, utils } = require('../../../../shared');

const { createHttpApp, internalTokenValid, gatewayCaller, gatewayCallerHooks } = service;
const { defineErrors, createError, systemClock, silentLogger } = utils;

const TOKEN = 'kit-internal-token-0123456789';
const CATALOGUE = defineErrors({
  DEMO_UNAUTHENTICATED: { statusCode: 401, message: 'authentication required' },
  DEMO_FORBIDDEN: { statusCode: 403, message: 'forbidden' },
});

describe('internal token check', () => {
  test('only the exact configured token is accepted', () => {
    expect(internalTokenValid(TOKEN, TOKEN)).toBe(true);
    for (const presented of [TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase(), ` ${TOKEN}`, '', 'x']) {
      expect([presented, internalTokenValid(presented, TOKEN)]).toEqual([presented, false]);
    }
  });

  test('a missing, repeated or non-string header never matches', () => {
    for (const presented of [undefined, null, [TOKEN, TOKEN], [TOKEN], 0, { toString: () => TOKEN }]) {
      expect(internalTokenValid(presented, TOKEN)).toBe(false);
    }
  });

  test('a service without a configured token trusts nobody, not even an empty token', () => {
    expect(internalTokenValid('', '')).toBe(false);
    expect(internalTokenValid('anything', undefined)).toBe(false);
  });

  test('the comparison is of fixed-length digests, so it is constant-time whatever the lengths', () => {
    // timingSafeEqual throws on buffers of different lengths: comparing raw tokens of different
    // lengths would have to short-circuit (and leak the length). Through digests it never does.
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      expect(internalTokenValid('short', TOKEN)).toBe(false);
      expect(internalTokenValid('x'.repeat(4096), TOKEN)).toBe(false);
      expect(spy).toHaveBeenCalledTimes(2);
      for (const [a, b] of spy.mock.calls) expect([a.length, b.length]).toEqual([32, 32]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('identity asserted by the gateway, over a real port', () => {
  let app;
  let base;

  beforeAll(async () => {
    app = createHttpApp({ service: 'demo', prefix: 'DEMO', catalogue: CATALOGUE, logger: silentLogger, clock: systemClock });
    app.get('/v1/whoami', async (req) => {
      const caller = gatewayCaller(req, TOKEN);
      if (!caller) throw createError(CATALOGUE.DEMO_UNAUTHENTICATED);
      return caller;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${app.server.address().port}`;
  });
  afterAll(async () => {
    if (app) await app.close();
  });

  const whoami = async (headers) => {
    const res = await fetch(`${base}/v1/whoami`, { headers });
    return { status: res.status, body: await res.json() };
  };
  const identity = { 'x-tenant-id': 't-acme', 'x-user-role': 'admin', 'x-key-id': 'K1' };

  test('identity headers with the internal token are the caller', async () => {
    expect(await whoami({ ...identity, 'x-internal-token': TOKEN, 'x-user-id': 'u-1' })).toEqual({
      status: 200,
      body: { tenantId: 't-acme', role: 'admin', keyId: 'K1', userId: 'u-1' },
    });
  });

  test('identity headers without the token, or with a wrong one, are ignored', async () => {
    for (const token of [undefined, 'wrong', `${TOKEN}x`, TOKEN.slice(1)]) {
      const headers = token === undefined ? identity : { ...identity, 'x-internal-token': token };
      const res = await whoami(headers);
      expect([token, res.status, res.body.code]).toEqual([token, 401, 'DEMO_UNAUTHENTICATED']);
    }
  });

  test('a valid token without a tenant or a role is not a caller', async () => {
    expect((await whoami({ 'x-internal-token': TOKEN, 'x-user-role': 'admin' })).status).toBe(401);
    expect((await whoami({ 'x-internal-token': TOKEN, 'x-tenant-id': 't-acme', 'x-user-role': '' })).status).toBe(401);
  });
});

describe("a service's caller hooks, over a real port", () => {
  let app;
  let base;

  beforeAll(async () => {
    const { requireCaller, requireWriter } = gatewayCallerHooks({
      unauthenticated: () => createError(CATALOGUE.DEMO_UNAUTHENTICATED),
      forbidden: () => createError(CATALOGUE.DEMO_FORBIDDEN),
      acceptCaller: (caller) => !caller.tenantId.includes('/'),
    });
    app = createHttpApp({ service: 'demo', prefix: 'DEMO', catalogue: CATALOGUE, logger: silentLogger, clock: systemClock });
    app.register(async (api) => {
      api.addHook('onRequest', requireCaller({ INTERNAL_TOKEN: TOKEN }));
      api.get('/v1/things', async (req) => ({ tenantId: req.caller.tenantId }));
      api.post('/v1/things', { preHandler: requireWriter }, async (req) => ({ changedBy: req.caller.role }));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${app.server.address().port}`;
  });
  afterAll(async () => {
    if (app) await app.close();
  });

  const call = async (method, headers) => {
    const res = await fetch(`${base}/v1/things`, { method, headers });
    return [res.status, (await res.json()).code ?? 'ok'];
  };
  const as = (role, tenantId = 't-acme') => ({ 'x-internal-token': TOKEN, 'x-tenant-id': tenantId, 'x-user-role': role });

  test('reading needs an asserted caller; the token alone or a forged header is not one', async () => {
    expect(await call('GET', as('viewer'))).toEqual([200, 'ok']);
    expect(await call('GET', { 'x-tenant-id': 't-acme', 'x-user-role': 'admin' })).toEqual([401, 'DEMO_UNAUTHENTICATED']);
    expect(await call('GET', { 'x-internal-token': TOKEN })).toEqual([401, 'DEMO_UNAUTHENTICATED']);
  });

  test('a caller the service does not accept is unauthenticated, whatever its role', async () => {
    expect(await call('GET', as('admin', 't-acme/../t-other'))).toEqual([401, 'DEMO_UNAUTHENTICATED']);
  });

  test('changing needs a writer role: admin and platform-admin, not viewer or an unknown role', async () => {
    expect(await call('POST', as('admin'))).toEqual([200, 'ok']);
    expect(await call('POST', as('platform-admin'))).toEqual([200, 'ok']);
    expect(await call('POST', as('viewer'))).toEqual([403, 'DEMO_FORBIDDEN']);
    expect(await call('POST', as('Admin'))).toEqual([403, 'DEMO_FORBIDDEN']);
  });
});
