'use strict';

const path = require('node:path');
const { service, events } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');
const { createKeyRepository } = require('./keys/repository');
const { createTenantEventHandler, TENANT_EVENT_TYPES } = require('./tenantEvents');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const TENANT_QUEUE = Object.freeze({ name: 'auth.tenants', exchange: 'events', routingKeys: TENANT_EVENT_TYPES });

const auth = service.defineService({
  name: 'auth',
  parseConfig,
  uses: { postgres: true, rabbit: true },
  migrations: { dir: MIGRATIONS_DIR, table: 'auth_migrations', database: 'users' },
  createApp: ({ config, clock, clients, logger, options }) =>
    createApp({ config, clock, clients, logger, keyring: options.keyring, passwordOptions: options.passwordOptions }),
  // Tenant lifecycle events update the same key cache the app verifies keys with.
  async consumers({ clock, clients: { postgres, rabbit }, logger, options, onStop, app }) {
    const store = events.createPgIdempotencyStore({ pool: postgres.pool('users'), consumer: 'auth.tenants', table: 'auth_processed_messages', clock });
    const handler = createTenantEventHandler({ repo: createKeyRepository(postgres), cache: app.keyCache, store, logger, onApplied: options.onTenantEvent });
    // One delivery at a time: lifecycle events of a tenant must be applied in the order sent.
    const subscription = await events.subscribe({ rabbit, queue: TENANT_QUEUE, handler, prefetch: 1, logger });
    onStop(() => subscription.cancel().catch(() => {}));
  },
});

module.exports = { ...auth, MIGRATIONS_DIR, TENANT_QUEUE };

if (require.main === module) auth.main();
