'use strict';

const { createRegistry } = require('../../../../shared/clients/discovery');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { loadConfig } = require('../../../../shared/utils/config');
const { silentLogger } = require('../../../../shared/utils/logger');

// Validation happens before Redis is touched: a stub that fails on any use proves it.
const untouchable = new Proxy({}, {
  get(_, prop) {
    throw new Error(`redis.${String(prop)} must not be called`);
  },
});

function registry(configOverrides = {}) {
  const config = { ...loadConfig({}), ...configOverrides };
  return createRegistry({ redis: untouchable, clock: createFakeClock(), config, logger: silentLogger });
}

describe('registry validation', () => {
  const base = { name: 'query', host: '127.0.0.1', port: 3005 };

  test.each([
    // Strings as a caller that builds its config from process.env would pass them. Whether strings
    // are refused or read as the numbers they spell, these are invalid either way: 10 s is not
    // shorter than 9 s, and "30s" is not a number of milliseconds.
    ['an interval longer than the TTL, both given as strings', { REGISTRY_TTL_MS: '9000', HEALTH_INTERVAL_MS: '10000' }, {}, /healthIntervalMs|ttlMs/],
    ['a TTL and interval given with a unit suffix', { REGISTRY_TTL_MS: '30s', HEALTH_INTERVAL_MS: '1s' }, {}, /healthIntervalMs|ttlMs/],
    ['a missing TTL', { REGISTRY_TTL_MS: undefined }, {}, /ttlMs.*undefined/],
    ['a NaN interval', {}, { healthIntervalMs: Number.NaN }, /healthIntervalMs/],
    ['an interval not shorter than the TTL', {}, { healthIntervalMs: 30000, ttlMs: 30000 }, /shorter than ttlMs/],
    ['a bad port', {}, { port: '3005' }, /port/],
    ['a name with a separator', {}, { name: 'a:b' }, /service name/],
  ])('rejects %s loudly', async (_, configOverrides, opts, message) => {
    await expect(registry(configOverrides).register({ ...base, ...opts })).rejects.toMatchObject({
      code: 'DN_REGISTRY_INVALID',
      message: expect.stringMatching(message),
    });
  });
});
