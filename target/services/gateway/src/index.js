'use strict';

const { systemClock } = require('../../../shared/utils/clock');
const { createLogger } = require('../../../shared/utils/logger');
const { createRedis } = require('../../../shared/clients/redis');
const { createRegistry } = require('../../../shared/clients/discovery');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

const running = new Set();

/**
 * Boots the gateway: Redis (rate limits, live channel, registry), HTTP + WebSocket server,
 * registry entry. The gateway has no database and so no migrations.
 * @param {{ env?: object, clock?: object, logger?: object }} [options]
 */
async function start({ env = process.env, clock = systemClock, logger } = {}) {
  const config = parseConfig(env);
  const log = logger || createLogger({ name: 'gateway', level: config.LOG_LEVEL, clock });
  const redis = createRedis(config, { logger: log, name: 'gateway' });
  const registry = createRegistry({ redis, clock, config, logger: log });
  const handle = { config, clients: { redis, registry } };
  try {
    const app = createApp({ config, clock, clients: { redis, registry }, logger: log });
    handle.app = app;
    await app.listen({ port: config.PORT, host: config.HOST });
    handle.port = app.server.address().port;
    handle.url = `http://${config.HOST}:${handle.port}`;
    handle.registration = await registry.register({ name: 'gateway', host: config.HOST, port: handle.port });
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
  const { redis, registry } = handle.clients;
  if (handle.registration) await handle.registration.deregister().catch(() => {});
  await registry.close();
  if (handle.app) await handle.app.close();
  await redis.close();
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
      process.stderr.write(`gateway failed to start: ${err.stack}\n`);
      process.exit(1);
    },
  );
}

module.exports = { start, stop };
