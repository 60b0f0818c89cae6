'use strict';

const { parseConfig, loadConfig, init, DEFAULT_ROUTES } = require('../../../../services/gateway/src/config');
const { authBypassEnabled } = require('../../../../services/gateway/src/auth');

function stubRegistry(value) {
  return { kv: { get: jest.fn(async () => value) } };
}

describe('gateway configuration', () => {
  test('environment strings are parsed into typed values', () => {
    const config = parseConfig({ INTERNAL_TOKEN: 't', RATE_LIMIT_RATE: '2.5', RATE_LIMIT_BURST: '7', UPSTREAM_TIMEOUT_MS: '3s' });
    expect(config.RATE_LIMIT_RATE).toBe(2.5);
    expect(config.RATE_LIMIT_BURST).toBe(7);
    expect(config.UPSTREAM_TIMEOUT_MS).toBe(3000);
  });

  test('the internal token is required', () => {
    expect(() => parseConfig({})).toThrow(/INTERNAL_TOKEN/);
  });

  test('loadConfig reads the route table from the registry KV', async () => {
    const registry = stubRegistry({ query: { service: 'query', prefix: '/v1' } });
    await expect(loadConfig({ registry, key: 'gateway/routes' })).resolves.toEqual({ routes: { query: { service: 'query', prefix: '/v1' } }, routesSource: 'registry' });
    expect(registry.kv.get).toHaveBeenCalledWith('gateway/routes');
  });

  test('loadConfig falls back to the default table when the KV has none, and refuses a malformed one', async () => {
    await expect(loadConfig({ registry: stubRegistry(undefined), key: 'k' })).resolves.toMatchObject({ routes: DEFAULT_ROUTES, routesSource: 'defaults' });
    await expect(loadConfig({ registry: stubRegistry([1, 2]), key: 'k' })).rejects.toThrow(/array/);
  });

  test('init builds the router from the loaded table', async () => {
    const loaded = await init({ config: parseConfig({ INTERNAL_TOKEN: 't' }), registry: stubRegistry({ query: { service: 'query', prefix: '/v1' } }) });
    expect(loaded.routesSource).toBe('registry');
    expect(loaded.router.match('GET', '/api/v1/query/q').kind).toBe('route');
  });

  test('the auth bypass is on only for a true value', () => {
    for (const off of ['false', '0', 'no', 'off', 'FALSE', 'Off']) {
      expect([off, authBypassEnabled(parseConfig({ INTERNAL_TOKEN: 't', AUTH_DISABLED: off }))]).toEqual([off, false]);
    }
    expect(authBypassEnabled(parseConfig({ INTERNAL_TOKEN: 't' }))).toBe(false);
    expect(authBypassEnabled(parseConfig({ INTERNAL_TOKEN: 't', AUTH_DISABLED: 'true' }))).toBe(true);
  });
});
