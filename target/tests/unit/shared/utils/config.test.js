'use strict';

const { loadConfig, ConfigError, BASE_SCHEMA } = require('../../../../shared/utils/config');
const { DataNexusError } = require('../../../../shared/utils/errors');

function errorOf(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('loadConfig', () => {
  test('applies defaults when the environment is empty', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(0);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.REDIS_PREFIX).toBe('dn:');
    expect(config.HEALTH_INTERVAL_MS).toBe(10000);
    expect(config.REGISTRY_TTL_MS).toBe(30000);
    expect(config.PIPELINE_DATABASE_URL).toBeUndefined();
    expect(Object.keys(config).sort()).toEqual(Object.keys(BASE_SCHEMA).sort());
  });

  test.each([
    ['PORT', '8080', 8080],
    ['PORT', ' 3001 ', 3001],
    ['PORT', '', 0],
    ['LOG_LEVEL', 'debug', 'debug'],
    ['HEALTH_INTERVAL_MS', '1500', 1500],
    ['HEALTH_INTERVAL_MS', '1500ms', 1500],
    ['HEALTH_INTERVAL_MS', '2s', 2000],
    ['HEALTH_INTERVAL_MS', '5m', 300000],
    ['REGISTRY_TTL_MS', '1h', 3600000],
    ['AMQP_URL', 'amqp://u:p@host:5672/vh', 'amqp://u:p@host:5672/vh'],
    ['PIPELINE_DATABASE_URL', 'postgres://localhost/p', 'postgres://localhost/p'],
  ])('parses %s=%j as %j', (key, raw, expected) => {
    expect(loadConfig({ [key]: raw })[key]).toEqual(expected);
  });

  test.each([
    ['PORT', 'abc', 'an integer'],
    ['PORT', '80.5', 'an integer'],
    ['PORT', '70000', 'an integer <= 65535'],
    ['LOG_LEVEL', 'verbose', 'one of silent/error/warn/info/debug'],
    ['HEALTH_INTERVAL_MS', '10 seconds', 'a duration in ms'],
    ['HEALTH_INTERVAL_MS', '0', 'a duration in ms >= 1'],
    ['REDIS_URL', 'not a url', 'a URL'],
    ['REDIS_URL', 'http://127.0.0.1:6379', 'a URL with protocol redis/rediss'],
    ['USERS_DATABASE_URL', 'mysql://x/y', 'a URL with protocol postgres/postgresql'],
  ])('rejects %s=%j naming the key, the expected type and the value', (key, raw, expected) => {
    const err = errorOf(() => loadConfig({ [key]: raw }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(DataNexusError);
    expect(err.code).toBe('DN_CONFIG_INVALID');
    expect(err.details).toEqual({ key, expected: expect.stringContaining(expected), received: raw });
    expect(err.message).toContain(key);
    expect(err.message).toContain(JSON.stringify(raw));
  });

  test('parses the extra schema types: bool, number, enum, list, required', () => {
    const schema = {
      FLAG: { type: 'bool', default: false },
      RATIO: { type: 'number', default: 0.5 },
      MODE: { type: 'enum', values: ['a', 'b'], default: 'a' },
      TAGS: { type: 'list', default: [] },
      NEEDED: { type: 'string', required: true },
    };
    const config = loadConfig({ FLAG: 'false', RATIO: '1e-3', MODE: 'b', TAGS: ' x, y ,,z', NEEDED: 'yes' }, schema);
    expect(config.FLAG).toBe(false);
    expect(config.RATIO).toBe(0.001);
    expect(config.MODE).toBe('b');
    expect(config.TAGS).toEqual(['x', 'y', 'z']);
    expect(loadConfig({ FLAG: 'TRUE', NEEDED: 'v' }, schema).FLAG).toBe(true);
    expect(errorOf(() => loadConfig({ FLAG: 'maybe', NEEDED: 'v' }, schema)).details.key).toBe('FLAG');
    expect(errorOf(() => loadConfig({ RATIO: 'NaN', NEEDED: 'v' }, schema)).details.key).toBe('RATIO');
    const missing = errorOf(() => loadConfig({}, schema));
    expect(missing.details).toEqual({ key: 'NEEDED', expected: 'string', received: undefined });
  });

  test('returns a frozen object whose get() refuses unknown keys', () => {
    const config = loadConfig({ PORT: '1' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      config.PORT = 2;
    }).toThrow(TypeError);
    expect(config.get('PORT')).toBe(1);
    expect(config.has('PORT')).toBe(true);
    expect(config.has('PIPELINE_DATABASE_URL')).toBe(false);
    expect(errorOf(() => config.get('PROT')).code).toBe('DN_CONFIG_INVALID');
  });

  test('builds the default config lazily from process.env, once', () => {
    jest.isolateModules(() => {
      const saved = process.env.PORT;
      process.env.PORT = 'not-a-port';
      try {
        const mod = require('../../../../shared/utils/config');
        expect(() => mod.config).toThrow(/PORT/);
        process.env.PORT = '4321';
        expect(mod.config.PORT).toBe(4321);
        expect(mod.config).toBe(mod.config);
      } finally {
        if (saved === undefined) delete process.env.PORT;
        else process.env.PORT = saved;
      }
    });
  });
});
