'use strict';

const crypto = require('node:crypto');
const fastify = require('fastify');
const { events: { createPublisher } } = require('../../../shared');
const { requireRole } = require('./identity');
const { createTenants } = require('./tenants');
const { createFlagStore } = require('./flagStore');
const { createOutboxRelay } = require('./outbox');
const { tenantRoutes } = require('./routes/tenants');
const { flagRoutes, auditRoutes } = require('./routes/flags');
const { healthRoutes } = require('./routes/health');
const { openapi } = require('./openapi');

const CONNECTION_ERROR = /^(ECONN|EPIPE|ETIMEDOUT|57P|08)/;

/**
 * Guards every route of the admin scope.
 */
function adminGuard(scope, { config }, done) {
  scope.addHook('onRequest', requireRole('platform-admin', config));
  done();
}

/**
 * @param {object} deps
 * @param {object} deps.config typed config (config.parseConfig)
 * @param {object} deps.clock
 * @param {{ postgres: object, rabbit?: object, publisher?: object }} deps.clients
 * @param {object} deps.logger
 * @param {() => string} [deps.idFactory] event ids
 */
function createApp({ config, clock, clients, logger, idFactory = () => crypto.randomUUID() }) {
  const { postgres } = clients;
  const publisher = clients.publisher || createPublisher({ rabbit: clients.rabbit, clock, appId: 'admin' });
  const relay = createOutboxRelay({ postgres, publisher, logger });
  const tenants = createTenants({ postgres, clock, idFactory, relay });
  const flags = createFlagStore({ postgres, clock });
  const app = fastify({ logger: false, bodyLimit: 64 * 1024, requestIdHeader: 'x-request-id' });
  app.decorate('outbox', relay);

  app.setErrorHandler((err, req, reply) => {
    if (err.validation) return reply.code(400).send({ code: 'ADMIN_INVALID_REQUEST', message: err.message, requestId: req.id });
    if (CONNECTION_ERROR.test(String(err.code)) || /timeout|terminated/i.test(String(err.message))) {
      return reply.code(503).send({ code: 'ADMIN_STORE_UNAVAILABLE', message: 'admin store unavailable', requestId: req.id });
    }
    const status = err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) logger.error({ err, requestId: req.id, url: req.url }, 'admin request failed');
    return reply.code(status).send({ code: status === 500 ? 'ADMIN_INTERNAL' : err.code, message: status === 500 ? 'internal error' : err.message, requestId: req.id });
  });

  app.register(healthRoutes, { postgres, relay, openapi });
  app.register(
    async function adminApi(admin) {
      await admin.register(adminGuard, { config });
      await admin.register(tenantRoutes, { tenants });
      await admin.register(flagRoutes, { flags });
      await admin.register(auditRoutes, { postgres });
    },
    { prefix: '/admin' },
  );
  return app;
}

module.exports = { createApp, adminGuard };
