'use strict';

const { service: { serviceSchema, configParser } } = require('../../../shared');

const ENV_SCHEMA = serviceSchema('transform', {
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 5000, min: 1 },
  // UDF worker pool: how many workers run UDFs at once, how long one call may take, and the heap
  // each worker may grow to before it is killed.
  UDF_POOL_SIZE: { type: 'int', default: 2, min: 1, max: 32 },
  UDF_TIMEOUT_MS: { type: 'duration-ms', default: 1000, min: 1 },
  UDF_MEMORY_MB: { type: 'int', default: 32, min: 8, max: 1024 },
  // How long enrichment values looked up for a tenant are served from memory.
  ENRICHMENT_TTL_MS: { type: 'duration-ms', default: 60000, min: 0 },
  CONSUMER_PREFETCH: { type: 'int', default: 16, min: 1, max: 1000 },
  CONSUMER_MAX_ATTEMPTS: { type: 'int', default: 3, min: 1, max: 100 },
});

const parseConfig = configParser(ENV_SCHEMA);

module.exports = { ENV_SCHEMA, parseConfig };
