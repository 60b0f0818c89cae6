'use strict';

const { service: { serviceSchema, configParser } } = require('../../../shared');

const ENV_SCHEMA = serviceSchema('aggregate', {
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 5000, min: 1 },
  // Redis stream partitions routed records are spread over (agg:in:<n>); every instance reading
  // the same Redis must use the same number.
  AGGREGATE_PARTITIONS: { type: 'int', default: 8, min: 1, max: 256 },
  // Consumer name of this instance in the partitions' group: a restarted instance that keeps it
  // resumes the entries it had read but not finished. Default: aggregate-<hostname>.
  AGGREGATE_CONSUMER: { type: 'string', default: '' },
  AGGREGATE_BATCH: { type: 'int', default: 100, min: 1, max: 10000 },
  AGGREGATE_BLOCK_MS: { type: 'duration-ms', default: 2000, min: 1 },
  // A partition without entries for this long (processing time) no longer holds the combined
  // watermark back.
  AGGREGATE_IDLE_TIMEOUT_MS: { type: 'duration-ms', default: 60000, min: 1 },
  // Event-time disorder tolerated within a partition before its watermark passes an event.
  AGGREGATE_OUT_OF_ORDER_MS: { type: 'duration-ms', default: 0, min: 0 },
  // How often triggers, idleness and unconfirmed emissions are looked at without new entries.
  AGGREGATE_TICK_MS: { type: 'duration-ms', default: 1000, min: 10 },
  // Entries another consumer read and has not finished for this long (Redis time) are taken over.
  AGGREGATE_RECLAIM_IDLE_MS: { type: 'duration-ms', default: 60000, min: 0 },
  AGGREGATE_PREFETCH: { type: 'int', default: 64, min: 1, max: 1000 },
  AGGREGATE_MAX_ATTEMPTS: { type: 'int', default: 5, min: 1, max: 100 },
  // How long a routed event id is remembered so a redelivery is not appended twice.
  AGGREGATE_DEDUP_TTL_MS: { type: 'duration-ms', default: 86_400_000, min: 1000 },
  AGGREGATE_ROLLUP_CACHE_MS: { type: 'duration-ms', default: 5000, min: 0 },
  AGGREGATE_MAX_ROLLUPS: { type: 'int', default: 100, min: 1 },
  // On a graceful stop, close every open window (one instance replaying a bounded input).
  AGGREGATE_DRAIN_ON_STOP: { type: 'bool', default: false },
});

const parseConfig = configParser(ENV_SCHEMA);

module.exports = { ENV_SCHEMA, parseConfig };
