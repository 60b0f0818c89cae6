'use strict';

const { service: { createHttpApp, postgresCheck, withDeadline, GATEWAY_SECURITY } } = require('../../../shared');
const { AUTH_ERRORS, authError } = require('./errors');
const { createKeyRepository } = require('./keys/repository');
const { createKeyCache } = require('./keys/cache');
const { createKeyService } = require('./keys/service');
const { loadKeyring } = require('./signingKeys');
const { createSessions } = require('./sessions');
const { createUsers } = require('./users');
const { createTeams, teamRoutes } = require('./teams');
const { createCallerResolver } = require('./identity');
const { keyRoutes } = require('./routes/keys');
const { sessionRoutes } = require('./routes/sessions');

/**
 * @param {object} deps
 * @param {object} deps.config typed config (config.parseConfig)
 * @param {object} deps.clock
 * @param {{ postgres: object }} deps.clients
 * @param {object} deps.logger
 * @param {object} [deps.keyring] session keyring; loaded from `signing_keys` when absent
 * @param {object} [deps.cache] key verification cache (shared with the tenant-event consumer)
 * @param {object} [deps.passwordOptions] scrypt parameters (tests lower the cost)
 */
function createApp({ config, clock, clients, logger, keyring, cache, passwordOptions, randomBytes }) {
  const { postgres } = clients;
  const app = createHttpApp({
    service: 'auth',
    prefix: 'AUTH',
    catalogue: AUTH_ERRORS,
    logger,
    clock,
    checks: {
      postgres: postgresCheck(postgres, 'users', config.DB_TIMEOUT_MS),
    },
    openapi: {
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (RS256)' },
        ...GATEWAY_SECURITY,
      },
    },
  });
  const keyRepo = createKeyRepository(postgres);
  const keyCache = cache || createKeyCache({ clock, ttlMs: config.KEY_CACHE_TTL_MS, maxEntries: config.KEY_CACHE_MAX });
  const keys = createKeyService({ postgres, repo: keyRepo, cache: keyCache, clock, randomBytes });
  const users = createUsers({ postgres, clock, passwordOptions });
  const teams = createTeams({ postgres, clock });
  app.decorate('keyCache', keyCache);

  // Every /v1 answer is bounded: a stalled database yields 503, never a hanging request.
  const storeTimeout = () => authError('AUTH_STORE_UNAVAILABLE', `store did not answer within ${config.DB_TIMEOUT_MS} ms`);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    const handler = route.handler;
    route.handler = function bounded(req, reply) {
      return withDeadline(Promise.resolve(handler.call(this, req, reply)), clock, config.DB_TIMEOUT_MS, storeTimeout);
    };
  });

  app.register(async function api(scope) {
    const ring = keyring || (await loadKeyring({ postgres, clock }));
    const sessions = createSessions({ keyring: ring, clock, issuer: config.SESSION_ISSUER, ttlMs: config.SESSION_TTL_MS });
    const callerOf = createCallerResolver({ config, sessions });
    await scope.register(keyRoutes, { config, keys, callerOf });
    await scope.register(sessionRoutes, { config, users, keyRepo, sessions, callerOf });
    await scope.register(teamRoutes, { teams, callerOf });
  });
  return app;
}

module.exports = { createApp };
