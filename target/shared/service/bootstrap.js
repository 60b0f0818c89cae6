'use strict';

// How every service boots and stops, written once: parse config, build the clients the service
// uses, run its migrations, build and listen with its app, register it; stopping undoes those
// steps in reverse. A service states what it uses and how its app is built, nothing more.

const { systemClock } = require('../utils/clock');
const { createLogger } = require('../utils/logger');
const { runMigrations } = require('../utils/migrate');
const { createPostgres } = require('../clients/postgres');
const { createRedis } = require('../clients/redis');
const { createRabbit } = require('../clients/rabbit');
const { createRegistry } = require('../clients/discovery');

function createClients(spec, config, { logger, clock }) {
  const clients = {};
  if (spec.uses.postgres) {
    // Bounded queries and connects: a stalled database fails requests instead of hanging them.
    const poolOptions = config.DB_TIMEOUT_MS === undefined
      ? {}
      : { query_timeout: config.DB_TIMEOUT_MS, connectionTimeoutMillis: config.DB_TIMEOUT_MS };
    clients.postgres = createPostgres(config, { logger, poolOptions });
  }
  clients.redis = createRedis(config, { logger, name: spec.name });
  if (spec.uses.rabbit) clients.rabbit = createRabbit(config, { logger, clock });
  clients.registry = createRegistry({ redis: clients.redis, clock, config, logger });
  return clients;
}

/** Reverse of start; safe on a handle whose start failed half-way. */
async function shutdown(handle) {
  const { postgres, redis, rabbit, registry } = handle.clients;
  // Leave the registry first so no new traffic is routed to an instance that is going away.
  if (handle.registration) await handle.registration.deregister().catch(() => {});
  await registry.close();
  for (const cleanup of handle.cleanups.reverse()) await cleanup();
  if (handle.app) await handle.app.close();
  if (rabbit) await rabbit.close();
  await redis.close();
  if (postgres) await postgres.close();
}

/**
 * @param {object} spec
 * @param {string} spec.name registry and logger name
 * @param {(env: object) => object} spec.parseConfig
 * @param {{ postgres?: boolean, rabbit?: boolean }} [spec.uses] Redis and the registry are always built
 * @param {{ dir: string, table: string, database: string }} [spec.migrations]
 * @param {(ctx: object) => Promise<void>|void} [spec.topology] with `uses.rabbit`: declares what the
 *   service publishes to (rabbit.addSetup), before the broker connection is opened
 * @param {(ctx: object) => Promise<object>|object} spec.createApp
 *   `({ config, clock, clients, logger, options, onStop })` → a fastify app, not listening yet.
 *   `onStop(fn)` registers a cleanup; cleanups run in reverse, after deregistration, before the app closes.
 * @param {(ctx: object) => Promise<void>|void} [spec.consumers] `({ ...ctx, app })`: subscribes
 *   the service's queues once its app (and what the app holds, such as caches) exists
 * @param {(ctx: object) => Promise<void>|void} [spec.onListening] runs once the port is bound, before registration
 * @returns {{ start(options?: object): Promise<object>, stop(): Promise<void>, main(): void }}
 */
function defineService(spec) {
  const service = { uses: {}, ...spec };
  const running = new Set();

  async function start(options = {}) {
    const { env = process.env, clock = systemClock } = options;
    const config = service.parseConfig(env);
    const logger = options.logger || createLogger({ name: service.name, level: config.LOG_LEVEL, clock });
    const clients = createClients(service, config, { logger, clock });
    const handle = { name: service.name, config, clients, cleanups: [] };
    const ctx = { config, clock, clients, logger, options, onStop: (fn) => handle.cleanups.push(fn) };
    let stopping;
    handle.stop = () => {
      running.delete(handle);
      stopping = stopping || shutdown(handle);
      return stopping;
    };
    try {
      if (service.migrations) {
        const { dir, table, database } = service.migrations;
        await runMigrations(clients.postgres.pool(database), dir, { table, logger });
      }
      if (service.uses.rabbit) {
        if (service.topology) await service.topology(ctx);
        await clients.rabbit.connect();
      }
      const app = await service.createApp(ctx);
      handle.app = app;
      if (service.consumers) await service.consumers({ ...ctx, app });
      await app.listen({ port: config.PORT, host: config.HOST });
      handle.port = app.server.address().port;
      handle.url = `http://${config.HOST}:${handle.port}`;
      if (service.onListening) await service.onListening({ ...ctx, app });
      handle.registration = await clients.registry.register({ name: service.name, host: config.HOST, port: handle.port });
    } catch (err) {
      await handle.stop();
      throw err;
    }
    running.add(handle);
    return handle;
  }

  /** Stops every instance this process started. */
  async function stop() {
    await Promise.all([...running].map((handle) => handle.stop()));
  }

  /** Command-line entry: start from process.env, stop cleanly on SIGTERM/SIGINT. */
  function main() {
    start().then(
      (handle) => {
        const bye = () => handle.stop().then(() => process.exit(0));
        process.once('SIGTERM', bye);
        process.once('SIGINT', bye);
      },
      (err) => {
        process.stderr.write(`${service.name} failed to start: ${err.stack}\n`);
        process.exit(1);
      },
    );
  }

  // `spec` lets tests build the same service from the same description (tests/support/boot-service.js).
  return { start, stop, main, spec: service };
}

module.exports = { defineService };
