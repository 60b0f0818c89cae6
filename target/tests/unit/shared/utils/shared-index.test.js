'use strict';

const { execFileSync } = require('node:child_process');
const path = require('node:path');

const SHARED = path.resolve(__dirname, '../../../../shared');

describe('shared entry point', () => {
  test('exposes clients, contracts, events, service, stream, utils and a usable default config', () => {
    const shared = require('../../../../shared');
    expect(Object.keys(shared).sort()).toEqual(['clients', 'config', 'contracts', 'events', 'service', 'stream', 'utils']);
    expect(typeof shared.clients.createPostgres).toBe('function');
    expect(typeof shared.utils.createLogger).toBe('function');
    expect(typeof shared.service.defineService).toBe('function');
    expect(typeof shared.contracts.validate).toBe('function');
    expect(shared.config.get('LOG_LEVEL')).toEqual(expect.any(String));
    expect(shared.config).toBe(shared.utils.config);
  });

  test('loads in a fresh process and the logger does not pull in the entry point', () => {
    // A fresh node process: jest's module registry must not hide a load-order problem.
    const script = `
      const path = require('node:path');
      require(path.join(${JSON.stringify(SHARED)}, 'utils/logger.js'));
      const loadedIndex = Object.keys(require.cache).includes(path.join(${JSON.stringify(SHARED)}, 'index.js'));
      const shared = require(${JSON.stringify(SHARED)});
      const log = shared.utils.createLogger({ name: 'probe', sink: [] });
      process.stdout.write(JSON.stringify({ loadedIndex, keys: Object.keys(shared).sort(), level: shared.config.get('LOG_LEVEL'), logLevel: log.level }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn' } }).toString());
    expect(out).toEqual({ loadedIndex: false, keys: ['clients', 'config', 'contracts', 'events', 'service', 'stream', 'utils'], level: 'warn', logLevel: 'warn' });
  });

  test('requiring shared/ reads no environment; a bad LOG_LEVEL is reported when the default config is first used', () => {
    // config.js promises that requiring shared/ never fails because of a variable a process may
    // never read: the default config, and the logger's default level with it, are read on first use.
    const script = `
      const path = require('node:path');
      const at = (p) => path.join(${JSON.stringify(SHARED)}, p);
      const shared = require(at('index.js'));
      const { createLogger } = require(at('utils/logger.js'));
      const out = { explicit: createLogger({ level: 'error', sink: [] }).level };
      const attempt = (fn) => { try { fn(); return 'ok'; } catch (err) { return err.code || err.name; } };
      out.config = attempt(() => shared.config.get('LOG_LEVEL'));
      out.defaultLevel = attempt(() => createLogger({ sink: [] }));
      process.stdout.write(JSON.stringify(out));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, LOG_LEVEL: 'verbose' } }).toString());
    expect(out).toEqual({ explicit: 'error', config: 'DN_CONFIG_INVALID', defaultLevel: 'DN_CONFIG_INVALID' });
  });

  // Services and tests load shared/ through different modules; whichever comes first, every
  // factory must work with its default logger. Each case is a fresh node process.
  test.each([
    ['the entry point', 'index.js'],
    ['the logger', 'utils/logger.js'],
    ['the redis client', 'clients/redis.js'],
    ['the discovery client', 'clients/discovery.js'],
    ['the events module', 'events/index.js'],
    ['the stream module', 'stream/index.js'],
  ])('factories work with their default logger when %s is loaded first', (_, entry) => {
    const script = `
      const path = require('node:path');
      const at = (p) => path.join(${JSON.stringify(SHARED)}, p);
      require(at(${JSON.stringify(entry)}));
      const { loadConfig } = require(at('utils/config.js'));
      const config = loadConfig({ LOG_LEVEL: 'warn' });
      const { createLogger, silentLogger } = require(at('utils/logger.js'));
      const out = {};
      out.logger = createLogger({ sink: [] }).level;
      out.silent = typeof silentLogger.warn;
      out.utils = typeof require(at('index.js')).utils.createLogger;
      out.postgres = typeof require(at('clients/postgres.js')).createPostgres(config).query;
      out.rabbit = require(at('clients/rabbit.js')).createRabbit(config).state;
      out.registry = typeof require(at('clients/discovery.js')).createRegistry({ redis: {}, config }).register;
      process.stdout.write(JSON.stringify(out));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn' } }).toString());
    expect(out).toEqual({ logger: 'warn', silent: 'function', utils: 'function', postgres: 'function', rabbit: 'idle', registry: 'function' });
  });
});
