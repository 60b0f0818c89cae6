'use strict';

const os = require('node:os');
const path = require('node:path');
const { service: { serviceSchema, configParser } } = require('../../../shared');

const ENV_SCHEMA = serviceSchema('store', {
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 5000, min: 1 },
  // Unacknowledged aggregate.window.closed deliveries the store writes at once.
  STORE_PREFETCH: { type: 'int', default: 32, min: 1, max: 1000 },
  // Deliveries of one window before it goes to store.rollups.dead (database down for that long).
  STORE_MAX_ATTEMPTS: { type: 'int', default: 10, min: 1, max: 100 },
  // Retention of a tenant that has not set its own, in days.
  STORE_RETENTION_DAYS: { type: 'int', default: 90, min: 1, max: 3650 },
  // How often retention, downsampling and compaction run (0: only when called).
  STORE_MAINTENANCE_INTERVAL_MS: { type: 'duration-ms', default: 300_000, min: 0 },
  // A series' archive is compacted once it holds at least this many segments.
  STORE_COMPACT_MIN_SEGMENTS: { type: 'int', default: 8, min: 2 },
  // Rows one query or export may return.
  STORE_MAX_POINTS: { type: 'int', default: 100_000, min: 1 },
  // Where CSV exports are written; each tenant has its own directory under it.
  STORE_EXPORT_DIR: { type: 'string', default: path.join(os.tmpdir(), 'datanexus-exports') },
});

const parseConfig = configParser(ENV_SCHEMA);

module.exports = { ENV_SCHEMA, parseConfig };
