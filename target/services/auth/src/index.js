'use strict';

const path = require('node:path');
const { systemClock } = require('../../../shared/utils/clock');
const { createLogger } = require('../../../shared/utils/logger');
const { runMigrations } = require('../../../shared/utils/migrate');
const { createPostgres } = require('../../../shared/clients/postgres');
const { createRedis } = require('../../../shared/clients/redis');
const { createRabbit } = require('../../../shared/clients/rabbit');
const { createRegistry } = require('../../../shared/clients/discovery');
const { subscribe, createPgIdempotencyStore } = require('../../../shared/events');
const { parseConfig } = require('./config');
const { createApp } = require('./app');
const { createKeyRepository } = require('./keys/repository');
const { createKeyCache } = require('./keys/cache');
const { createTenantEventHandler, TENANT_EVENT_TYPES } = require('./tenantEvents');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const TENANT_QUEUE = Object.freeze({ name: 'auth.tenants', exchange: 'events', routingKeys: TENANT_EVENT_TYPES });
const running = new Set();

/**
 * Boots auth: migrations, tenant-event consumer, HTTP server, registry entry.
 * @param {{ env?: object, clock?: object, logger?: object, onTenantEvent?: Function, passwordOptions?: object }} [options]
 */
async function start({ env = process.env, clock = systemClock, logger, onTenantEvent, passwordOptions } = {}) {
  const config = parseConfig(env);
  const log = logger || createLogger({ name: 'auth', level: config.LOG_LEVEL, clock });
  const postgres = createPostgres(config, { logger: log, poolOptions: { query_timeout: config.DB_TIMEOUT_MS, connectionTimeoutMillis: config.DB_TIMEOUT_MS } });
  const redis = createRedis(config, { logger: log, name: 'auth' });
  const rabbit = createRabbit(config, { logger: log, clock });
  const registry = createRegistry({ redis, clock, config, logger: log });
  const handle = { config, clients: { postgres, redis, rabbit, registry } };
  try {
    await runMigrations(postgres.pool('users'), MIGRATIONS_DIR, { table: 'auth_migrations', logger: log });
    const cache = createKeyCache({ clock, ttlMs: config.KEY_CACHE_TTL_MS, maxEntries: config.KEY_CACHE_MAX });
    const store = createPgIdempotencyStore({ pool: postgres.pool('users'), consumer: 'auth.tenants', table: 'auth_processed_messages', clock });
    const handler = createTenantEventHandler({ repo: createKeyRepository(postgres), cache, store, logger: log, onApplied: onTenantEvent });
    await rabbit.connect();
    // One delivery at a time: lifecycle events of a tenant must be applied in the order sent.
    handle.subscription = await subscribe({ rabbit, queue: TENANT_QUEUE, handler, prefetch: 1, logger: log });
    const app = createApp({ config, clock, clients: { postgres }, logger: log, cache, passwordOptions });
    handle.app = app;
    await app.listen({ port: config.PORT, host: config.HOST });
    handle.port = app.server.address().port;
    handle.url = `http://${config.HOST}:${handle.port}`;
    handle.registration = await registry.register({ name: 'auth', host: config.HOST, port: handle.port });
  } catch (err) {
    await shutdown(handle);
    throw err;
  }
  handle.stop = () => shutdown(handle);
  running.add(handle);
  return handle;
}

async function shutdown(handle) {
  running.delete(handle);
  const { postgres, redis, rabbit, registry } = handle.clients;
  if (handle.registration) await handle.registration.deregister().catch(() => {});
  await registry.close();
  if (handle.subscription) await handle.subscription.cancel().catch(() => {});
  if (handle.app) await handle.app.close();
  await rabbit.close();
  await redis.close();
  await postgres.close();
}

/** Stops every instance started by this process. */
async function stop() {
  await Promise.all([...running].map((h) => shutdown(h)));
}

if (require.main === module) {
  start().then(
    (h) => {
      const bye = () => h.stop().then(() => process.exit(0));
      process.once('SIGTERM', bye);
      process.once('SIGINT', bye);
    },
    (err) => {
      process.stderr.write(`auth failed to start: ${err.stack}\n`);
      process.exit(1);
    },
  );
}

module.exports = { start, stop, MIGRATIONS_DIR, TENANT_QUEUE };
