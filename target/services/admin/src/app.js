'use strict';

const crypto = require('node:crypto');
const { events: { createPublisher }, service: { createHttpApp, postgresCheck, GATEWAY_SECURITY } } = require('../../../shared');
const { ADMIN_ERRORS } = require('./errors');
const { requireRole } = require('./identity');
const { createTenants } = require('./tenants');
const { createFlagStore } = require('./flagStore');
const { createOutboxRelay } = require('./outbox');
const { tenantRoutes } = require('./routes/tenants');
const { flagRoutes, auditRoutes } = require('./routes/flags');

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
  const app = createHttpApp({
    service: 'admin',
    prefix: 'ADMIN',
    catalogue: ADMIN_ERRORS,
    logger,
    clock,
    checks: {
      postgres: postgresCheck(postgres, 'users', config.DB_TIMEOUT_MS),
      outboxPending: { run: () => relay.pending(), deadlineMs: config.DB_TIMEOUT_MS },
    },
    openapi: {
      description: 'Tenant lifecycle, quotas, feature flags and the audit log. Every /admin route needs the platform-admin role, asserted by the gateway.',
      securitySchemes: GATEWAY_SECURITY,
    },
  });
  app.decorate('outbox', relay);

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
