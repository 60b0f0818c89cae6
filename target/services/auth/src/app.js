'use strict';

const fastify = require('fastify');
const { createKeyRepository } = require('./keys/repository');
const { createKeyCache } = require('./keys/cache');
const { createKeyService } = require('./keys/service');
const { loadKeyring } = require('./signingKeys');
const { createSessions } = require('./sessions');
const { createUsers } = require('./users');
const { createTeams, teamRoutes } = require('./teams');
const { createCallerResolver } = require('./identity');
const { withDeadline, storeFailure } = require('./deadline');
const { keyRoutes } = require('./routes/keys');
const { sessionRoutes } = require('./routes/sessions');
const { healthRoutes } = require('./routes/health');
const { openapi } = require('./openapi');

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
  const app = fastify({ logger: false, bodyLimit: 64 * 1024, requestIdHeader: 'x-request-id' });
  const keyRepo = createKeyRepository(postgres);
  const keyCache = cache || createKeyCache({ clock, ttlMs: config.KEY_CACHE_TTL_MS, maxEntries: config.KEY_CACHE_MAX });
  const keys = createKeyService({ postgres, repo: keyRepo, cache: keyCache, clock, randomBytes });
  const users = createUsers({ postgres, clock, passwordOptions });
  const teams = createTeams({ postgres, clock });
  app.decorate('keyCache', keyCache);

  app.setErrorHandler((err, req, reply) => {
    if (err.validation) {
      return reply.code(400).send({ code: 'AUTH_INVALID_REQUEST', message: err.message, requestId: req.id });
    }
    const mapped = storeFailure(err);
    const status = mapped.statusCode && mapped.statusCode >= 400 && mapped.statusCode < 600 ? mapped.statusCode : 500;
    if (status >= 500) logger.error({ err, requestId: req.id, url: req.url }, 'auth request failed');
    const code = status === 500 ? 'AUTH_INTERNAL' : mapped.code || 'AUTH_ERROR';
    return reply.code(status).send({ code, message: status === 500 ? 'internal error' : mapped.message, requestId: req.id });
  });

  // Every /v1 answer is bounded: a stalled database yields 503, never a hanging request.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    const handler = route.handler;
    route.handler = function bounded(req, reply) {
      return withDeadline(Promise.resolve(handler.call(this, req, reply)), clock, config.DB_TIMEOUT_MS);
    };
  });

  app.register(healthRoutes, { postgres, clock, config, openapi });
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
