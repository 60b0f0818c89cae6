'use strict';

const { service: { serviceSchema, configParser } } = require('../../../shared');

const ENV_SCHEMA = serviceSchema('router', {
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 5000, min: 1 },
  // Unacknowledged transform.record deliveries the router works on at once.
  ROUTER_PREFETCH: { type: 'int', default: 32, min: 1, max: 1000 },
  // Deliveries of one event before it goes to router.transform.dead (store or broker down).
  ROUTER_MAX_ATTEMPTS: { type: 'int', default: 5, min: 1, max: 100 },
  // Publishes tried for one subscriber within one delivery before that subscriber's copy is
  // dead-lettered.
  ROUTER_PUBLISH_ATTEMPTS: { type: 'int', default: 3, min: 1, max: 20 },
  ROUTER_PATTERN_CACHE_SIZE: { type: 'int', default: 10000, min: 1 },
  // How long a tenant's subscriptions are cached when nothing invalidates them (another instance
  // changed them).
  ROUTER_TOPIC_CACHE_MS: { type: 'duration-ms', default: 30000, min: 0 },
  ROUTER_MAX_TOPICS: { type: 'int', default: 100, min: 1 },
  ROUTER_MAX_SUBSCRIPTIONS: { type: 'int', default: 200, min: 1 },
  // How long an event id and its per-subscriber deliveries are remembered.
  ROUTER_DEDUP_TTL_MS: { type: 'duration-ms', default: 86_400_000, min: 1000 },
});

const parseConfig = configParser(ENV_SCHEMA);

module.exports = { ENV_SCHEMA, parseConfig };
