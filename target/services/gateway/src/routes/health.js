'use strict';

const { openapi } = require('../openapi');

const healthSchema = {
  response: { 200: { type: 'object', properties: { status: { type: 'string' }, service: { type: 'string' } }, required: ['status'] } },
};

const readySchema = {
  response: {
    '2xx': {
      type: 'object',
      properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: true } },
      required: ['status', 'checks'],
    },
    503: {
      type: 'object',
      properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: true } },
      required: ['status', 'checks'],
    },
  },
};

function withTimeout(promise, clock, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = clock.setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clock.clearTimeout(timer));
}

/** Liveness says the process answers; readiness says it can do its job right now. */
async function healthRoutes(app, { runtime, redis, clock, config }) {
  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok', service: 'gateway' }));

  app.get('/ready', { schema: readySchema }, async (req, reply) => {
    const checks = { routes: runtime.router ? runtime.router.size : 0, routesSource: runtime.routesSource, rateLimit: runtime.limiter.mode() };
    let ok = checks.routes > 0;
    try {
      await withTimeout(redis.ping(), clock, config.RATE_LIMIT_STORE_TIMEOUT_MS);
      checks.redis = 'ok';
    } catch (err) {
      checks.redis = `down: ${err.message}`;
      ok = false;
    }
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not-ready', checks };
  });

  app.get('/openapi.json', async () => openapi);
}

module.exports = { healthRoutes };
