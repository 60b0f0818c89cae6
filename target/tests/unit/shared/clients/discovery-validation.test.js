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
    ['a health interval given as a string', { HEALTH_INTERVAL_MS: '10000' }, {}, /healthIntervalMs.*"10000".*string/],
    ['a TTL given as a string', { REGISTRY_TTL_MS: '30' }, {}, /ttlMs.*"30"/],
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
