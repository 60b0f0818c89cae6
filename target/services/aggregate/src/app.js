'use strict';

const os = require('node:os');
const { EventEmitter } = require('node:events');
const { events: { createPublisher }, service: { createHttpApp, registerApi, postgresCheck, GATEWAY_SECURITY } } = require('../../../shared');
const { AGGREGATE_ERRORS } = require('./errors');
const { requireCaller } = require('./identity');
const { createRollupStore } = require('./rollups/store');
const { createRedisState } = require('./state/redisState');
const { createSessions } = require('./state/sessions');
const { createWatermarks } = require('./watermark');
const { createApplier } = require('./apply');
const { createEngine } = require('./engine');
const { createIngress } = require('./ingress');
const { rollupRoutes } = require('./routes/rollups');
const { statusRoutes } = require('./routes/status');

/**
 * Aggregate's parts, wired: `{ rollups, state, sessions, watermarks, engine, ingress, events }`.
 * `events` announces 'appended', 'processed', 'advanced', 'emitted' (engine.js, ingress.js).
 * `clients.publisher` replaces the broker publisher (anything with `publish(routingKey, envelope)`).
 */
function createAggregation({ config, clock, clients, logger }) {
  const { redis } = clients;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const publisher = clients.publisher || createPublisher({ rabbit: clients.rabbit, clock, appId: 'aggregate' });
  const rollups = createRollupStore({ postgres: clients.postgres, clock, cacheMs: config.AGGREGATE_ROLLUP_CACHE_MS, maxRollups: config.AGGREGATE_MAX_ROLLUPS });
  const state = createRedisState({ redis });
  const sessions = createSessions({ redis, state });
  const watermarks = createWatermarks({
    redis,
    clock,
    partitions: config.AGGREGATE_PARTITIONS,
    idleTimeoutMs: config.AGGREGATE_IDLE_TIMEOUT_MS,
    outOfOrderMs: config.AGGREGATE_OUT_OF_ORDER_MS,
  });
  const applyEntry = createApplier({ rollups, state, sessions });
  const consumerName = config.AGGREGATE_CONSUMER || `aggregate-${os.hostname()}`;
  const engine = createEngine({ config, clock, redis, state, sessions, watermarks, applyEntry, publisher, emitter: events, logger, consumerName });
  const ingress = createIngress({ redis, partitions: config.AGGREGATE_PARTITIONS, dedupTtlMs: config.AGGREGATE_DEDUP_TTL_MS, emitter: events });
  return { rollups, state, sessions, watermarks, engine, ingress, events };
}

function createApp({ config, clock, clients, logger }) {
  const parts = createAggregation({ config, clock, clients, logger });
  const app = createHttpApp({
    service: 'aggregate',
    prefix: 'AGGREGATE',
    catalogue: AGGREGATE_ERRORS,
    logger,
    clock,
    checks: { postgres: postgresCheck(clients.postgres, 'metrics', config.DB_TIMEOUT_MS) },
    openapi: {
      description: 'Per-tenant rollups (tumbling, hopping and session windows on event time) over routed records; emits aggregate.window.closed for every window the watermark closes.',
      securitySchemes: GATEWAY_SECURITY,
    },
  });
  app.decorate('aggregateParts', parts);
  registerApi(app, {
    guard: requireCaller(config),
    routes: [
      [rollupRoutes, { rollups: parts.rollups }],
      [statusRoutes, { parts }],
    ],
  });
  return app;
}

module.exports = { createApp, createAggregation };
