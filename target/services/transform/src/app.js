'use strict';

const { events: { createPublisher }, service: { createHttpApp, registerApi, postgresCheck, GATEWAY_SECURITY } } = require('../../../shared');
const { TRANSFORM_ERRORS } = require('./errors');
const { requireCaller } = require('./identity');
const { createStore } = require('./store');
const { createEnrichment } = require('./enrichment');
const { createProcessor } = require('./processor');
const { createUdfPool } = require('./udf/pool');
const { transformRoutes } = require('./routes');

/**
 * @param {object} deps
 * @param {object} deps.config typed config (config.parseConfig)
 * @param {object} deps.clock
 * @param {{ postgres: object, rabbit?: object, publisher?: object }} deps.clients
 * @param {object} deps.logger
 * @param {(fn: Function) => void} [deps.onStop]
 */
function createApp({ config, clock, clients, logger, onStop = () => {} }) {
  const { postgres } = clients;
  const store = createStore({ postgres, clock });
  const pool = createUdfPool({ size: config.UDF_POOL_SIZE, timeoutMs: config.UDF_TIMEOUT_MS, memoryMb: config.UDF_MEMORY_MB, clock, logger });
  onStop(() => pool.close());
  const enrichment = createEnrichment({ postgres, clock, ttlMs: config.ENRICHMENT_TTL_MS });
  const processor = createProcessor({ store, pool, enrichment, clock });
  const publisher = clients.publisher || (clients.rabbit ? createPublisher({ rabbit: clients.rabbit, clock, appId: 'transform' }) : null);

  const app = createHttpApp({
    service: 'transform',
    prefix: 'TRANSFORM',
    catalogue: TRANSFORM_ERRORS,
    logger,
    clock,
    checks: { postgres: postgresCheck(postgres, 'pipeline', config.DB_TIMEOUT_MS) },
    openapi: {
      description: 'Per-tenant mapping configs, UDFs and enrichment values applied to every ingested event before it is routed. Every route acts on the tenant the gateway asserted.',
      securitySchemes: GATEWAY_SECURITY,
    },
  });
  app.decorate('transform', { store, pool, enrichment, processor, publisher });

  registerApi(app, { guard: requireCaller(config), routes: [[transformRoutes, { store, processor, enrichment }]] });
  return app;
}

module.exports = { createApp };
