'use strict';

const fastify = require('fastify');
const { init } = require('./config');
const { createAuthenticator } = require('./auth');
const { createRateLimiter } = require('./ratelimit/limiter');
const { createUpstreams } = require('./upstreams');
const { createBreakers } = require('./circuit');
const { createLive } = require('./ws/live');
const { createRequestIds } = require('./requestId');
const { healthRoutes } = require('./routes/health');
const { proxyRoutes } = require('./routes/proxy');

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
  const app = fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES, genReqId: requestIdFor });

  // The gateway forwards bodies untouched: no parsing, whatever the content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, body));

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
  app.decorate('runtime', runtime);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  app.setErrorHandler((err, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) logger.error({ err, requestId: req.id }, 'gateway request failed');
    reply.code(status).send({ code: err.code || 'GATEWAY_INTERNAL', message: status === 500 ? 'internal error' : err.message, requestId: req.id });
  });

  app.register(healthRoutes, { runtime, redis: clients.redis, clock, config });
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
