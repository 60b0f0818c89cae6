'use strict';

const { service: { serviceSchema, configParser } } = require('../../../shared');

const ENV_SCHEMA = serviceSchema('ingestion', {
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 5000, min: 1 },
  // Accepted events are written to the outbox in batches of this many, or every INGEST_FLUSH_MS.
  INGEST_BATCH_SIZE: { type: 'int', default: 500, min: 1 },
  INGEST_FLUSH_MS: { type: 'duration-ms', default: 1000, min: 1 },
  // Events held in memory (waiting or being written) above which requests are refused with 503.
  INGEST_BUFFER_MAX: { type: 'int', default: 10000, min: 1 },
  // Request body as sent (compressed or not), and a gzip body once inflated.
  INGEST_MAX_BODY_BYTES: { type: 'int', default: 1024 * 1024, min: 1 },
  INGEST_MAX_INFLATED_BYTES: { type: 'int', default: 10 * 1024 * 1024, min: 1 },
  // Events in one request.
  INGEST_MAX_EVENTS: { type: 'int', default: 1000, min: 1 },
  OUTBOX_INTERVAL_MS: { type: 'duration-ms', default: 5000, min: 1 },
});

const parseConfig = configParser(ENV_SCHEMA);

module.exports = { ENV_SCHEMA, parseConfig };
