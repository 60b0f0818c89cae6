'use strict';

const { EventEmitter } = require('node:events');
const { events: { createPublisher }, service: { createHttpApp, registerApi, postgresCheck, GATEWAY_SECURITY } } = require('../../../shared');
const { ROUTER_ERRORS } = require('./errors');
const { requireCaller } = require('./identity');
const { createTopicStore } = require('./topics');
const { createMatcher } = require('./match');
const { createFanout, createSentLog } = require('./fanout');
const { createDeadLetters } = require('./deadLetters');
const { createRouter } = require('./router');
const { createRecordHandler } = require('./consume');
const { topicRoutes } = require('./routes/topics');
const { deadLetterRoutes } = require('./routes/deadLetters');

/**
 * The router's parts, wired: `{ topics, matcher, deadLetters, fanout, router, handleRecord, events }`.
 * `events` announces each delivery the consumer is done with (`'handled'`, `'failed'`: consume.js).
 * `clients.publisher` replaces the broker publisher (anything with `publish(routingKey, envelope, options)`).
 */
function createRouting({ config, clock, clients, logger, idFactory }) {
  const publisher = clients.publisher || createPublisher({ rabbit: clients.rabbit, clock, appId: 'router' });
  const topics = createTopicStore({
    postgres: clients.postgres,
    clock,
    cacheMs: config.ROUTER_TOPIC_CACHE_MS,
    maxTopics: config.ROUTER_MAX_TOPICS,
    maxSubscriptions: config.ROUTER_MAX_SUBSCRIPTIONS,
    ...(idFactory ? { idFactory } : {}),
  });
  const matcher = createMatcher({ cacheSize: config.ROUTER_PATTERN_CACHE_SIZE });
  const deadLetters = createDeadLetters({ postgres: clients.postgres, clock });
  const sent = createSentLog({ redis: clients.redis, ttlMs: config.ROUTER_DEDUP_TTL_MS });
  const fanout = createFanout({ publisher, sent, deadLetters, attempts: config.ROUTER_PUBLISH_ATTEMPTS, logger });
  const router = createRouter({ topics, matcher, fanout, deadLetters });
  const events = new EventEmitter();
  const handleRecord = createRecordHandler({ router, deadLetters, redis: clients.redis, ttlMs: config.ROUTER_DEDUP_TTL_MS, emitter: events });
  return { topics, matcher, deadLetters, fanout, router, handleRecord, events };
}

function createApp({ config, clock, clients, logger, idFactory }) {
  const routing = createRouting({ config, clock, clients, logger, idFactory });
  const app = createHttpApp({
    service: 'router',
    prefix: 'ROUTER',
    catalogue: ROUTER_ERRORS,
    logger,
    clock,
    checks: { postgres: postgresCheck(clients.postgres, 'pipeline', config.DB_TIMEOUT_MS) },
    openapi: {
      description: 'Per-tenant topics and subscriptions (AMQP topic patterns) that route transform.record events to subscribers as router.routed; dead letters and their replay.',
      securitySchemes: GATEWAY_SECURITY,
    },
  });
  app.decorate('routerParts', routing);
  registerApi(app, {
    guard: requireCaller(config),
    routes: [
      [topicRoutes, { topics: routing.topics }],
      [deadLetterRoutes, { deadLetters: routing.deadLetters, router: routing.router }],
    ],
  });
  return app;
}

module.exports = { createApp, createRouting };
