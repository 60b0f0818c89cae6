'use strict';

const { service: { createHttpApp, createRequestIds } } = require('../../../shared');
const { init } = require('./config');
const { GATEWAY_ERRORS } = require('./errors');
const { createAuthenticator } = require('./auth');
const { createRateLimiter } = require('./ratelimit/limiter');
const { createUpstreams } = require('./upstreams');
const { createBreakers } = require('./circuit');
const { createLive } = require('./ws/live');
const { proxyRoutes, liveRoute } = require('./routes/proxy');

/** Ready when the route table has routes and the rate-limit store answers within its timeout. */
function readinessChecks({ runtime, redis, config }) {
  return {
    routes: { run: () => (runtime.router ? runtime.router.size : 0), ready: (size) => size > 0 },
    routesSource: { run: () => runtime.routesSource },
    rateLimit: { run: () => runtime.limiter.mode() },
    redis: {
      run: async () => {
        await redis.ping();
      },
      deadlineMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
    },
  };
}

/**
 * @param {object} deps
 * @param {object} deps.config typed config (config.parseConfig)
 * @param {object} deps.clock systemClock or a fake clock
 * @param {{ redis: object, registry: object }} deps.clients
 * @param {object} deps.logger
 * @param {() => string} [deps.generateId] request id source (default: random UUID)
 */
function createApp({ config, clock, clients, logger, generateId }) {
  const requestIdFor = createRequestIds(generateId);
  const upstreams = createUpstreams({ registry: clients.registry, clock, ttlMs: config.UPSTREAM_CACHE_TTL_MS });
  const runtime = {
    router: null,
    routesSource: 'none',
    upstreams,
    breakers: createBreakers({ clock, failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: config.CIRCUIT_COOLDOWN_MS }),
    limiter: createRateLimiter({
      redis: clients.redis,
      clock,
      logger,
      defaultPolicy: { rate: config.RATE_LIMIT_RATE, burst: config.RATE_LIMIT_BURST },
      redisTimeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
    }),
    authenticator: createAuthenticator({ config, clock, upstreams, logger }),
  };
  runtime.live = createLive({
    config,
    redis: clients.redis,
    authenticator: runtime.authenticator,
    limiter: runtime.limiter,
    logger,
    newRequestId: requestIdFor,
  });
  const app = createHttpApp({
    service: 'gateway',
    prefix: 'GATEWAY',
    catalogue: GATEWAY_ERRORS,
    logger,
    clock,
    checks: readinessChecks({ runtime, redis: clients.redis, config }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    generateId,
    openapi: {
      description: 'The one public entry of DataNexus: /api/v1/<route>/<path> is forwarded to the service the route table names; /v1/live is the WebSocket feed.',
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
    },
  });
  app.decorate('runtime', runtime);

  // The gateway forwards bodies untouched: no parsing, whatever the content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, body));

  app.register(liveRoute);
  app.register(async function routed(scope) {
    const loaded = await init({ config, registry: clients.registry });
    runtime.router = loaded.router;
    runtime.routesSource = loaded.routesSource;
    logger.info({ event: 'gateway.routes', routes: loaded.router.names(), source: loaded.routesSource }, 'route table loaded');
    await scope.register(proxyRoutes, { runtime, config, clock });
  });

  const onUpgrade = (req, socket, head) => {
    runtime.live.handleUpgrade(req, socket, head).catch((err) => {
      logger.error({ err }, 'live upgrade failed');
      socket.destroy();
    });
  };
  app.addHook('onReady', async () => {
    await runtime.live.start();
    app.server.on('upgrade', onUpgrade);
  });
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    await runtime.live.stop();
  });

  return app;
}

module.exports = { createApp };
