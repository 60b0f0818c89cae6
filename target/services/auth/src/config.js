'use strict';

const { service: { serviceSchema, configParser } } = require('../../../shared');

const ENV_SCHEMA = serviceSchema('auth', {
  SESSION_TTL_MS: { type: 'duration-ms', default: 3600000, min: 1000 },
  SESSION_ISSUER: { type: 'string', default: 'datanexus-auth' },
  KEY_CACHE_TTL_MS: { type: 'duration-ms', default: 30000, min: 1 },
  KEY_CACHE_MAX: { type: 'int', default: 10000, min: 1 },
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 2000, min: 1 },
});

const parseConfig = configParser(ENV_SCHEMA);

module.exports = { ENV_SCHEMA, parseConfig };
