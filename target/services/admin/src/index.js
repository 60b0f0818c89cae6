'use strict';

const path = require('node:path');
const { systemClock } = require('../../../shared/utils/clock');
const { createLogger } = require('../../../shared/utils/logger');
const { runMigrations } = require('../../../shared/utils/migrate');
const { createPostgres } = require('../../../shared/clients/postgres');
const { createRedis } = require('../../../shared/clients/redis');
const { createRabbit } = require('../../../shared/clients/rabbit');
const { createRegistry } = require('../../../shared/clients/discovery');
const { setupTopology } = require('../../../shared/events');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const running = new Set();

/**
 * Boots admin: migrations, exchange topology, HTTP server, outbox relay, registry entry.
 * @param {{ env?: object, clock?: object, logger?: object, idFactory?: Function }} [options]
 */
async function start({ env = process.env, clock = systemClock, logger, idFactory } = {}) {
  const config = parseConfig(env);
  const log = logger || createLogger({ name: 'admin', level: config.LOG_LEVEL, clock });
  const postgres = createPostgres(config, { logger: log, poolOptions: { query_timeout: config.DB_TIMEOUT_MS, connectionTimeoutMillis: config.DB_TIMEOUT_MS } });
  const redis = createRedis(config, { logger: log, name: 'admin' });
  const rabbit = createRabbit(config, { logger: log, clock });
  const registry = createRegistry({ redis, clock, config, logger: log });
  const handle = { config, clients: { postgres, redis, rabbit, registry } };
  try {
    await runMigrations(postgres.pool('users'), MIGRATIONS_DIR, { table: 'admin_migrations', logger: log });
    // The exchange must exist before the first event is published to it.
    await rabbit.addSetup((channel) => setupTopology(channel, { queues: [] }));
    await rabbit.connect();
    const app = createApp({ config, clock, clients: { postgres, rabbit }, logger: log, idFactory });
    handle.app = app;
    await app.listen({ port: config.PORT, host: config.HOST });
    handle.port = app.server.address().port;
    handle.url = `http://${config.HOST}:${handle.port}`;
    // Events left pending by a crash or a broker outage are sent by this periodic relay.
    handle.relayTimer = clock.setInterval(() => app.outbox.flushQuietly(), config.OUTBOX_INTERVAL_MS);
    if (handle.relayTimer && typeof handle.relayTimer.unref === 'function') handle.relayTimer.unref();
    await app.outbox.flushQuietly();
    handle.registration = await registry.register({ name: 'admin', host: config.HOST, port: handle.port });
  } catch (err) {
    await shutdown(handle, clock);
    throw err;
  }
  handle.stop = () => shutdown(handle, clock);
  running.add(handle);
  return handle;
}

async function shutdown(handle, clock) {
  running.delete(handle);
  const { postgres, redis, rabbit, registry } = handle.clients;
  if (handle.relayTimer) clock.clearInterval(handle.relayTimer);
  if (handle.registration) await handle.registration.deregister().catch(() => {});
  await registry.close();
  if (handle.app) await handle.app.close();
  await rabbit.close();
  await redis.close();
  await postgres.close();
}

async function stop() {
  await Promise.all([...running].map((h) => h.stop()));
}

if (require.main === module) {
  start().then(
    (h) => {
      const bye = () => h.stop().then(() => process.exit(0));
      process.once('SIGTERM', bye);
      process.once('SIGINT', bye);
    },
    (err) => {
      process.stderr.write(`admin failed to start: ${err.stack}\n`);
      process.exit(1);
    },
  );
}

module.exports = { start, stop, MIGRATIONS_DIR };
