'use strict';

const { utils: { loadConfig } } = require('../../../shared');

const ENV_SCHEMA = Object.freeze({
  SERVICE_NAME: { type: 'string', default: 'auth' },
  PORT: { type: 'int', default: 3001, min: 0, max: 65535 },
  INTERNAL_TOKEN: { type: 'string', required: true },
  SESSION_TTL_MS: { type: 'duration-ms', default: 3600000, min: 1000 },
  SESSION_ISSUER: { type: 'string', default: 'datanexus-auth' },
  KEY_CACHE_TTL_MS: { type: 'duration-ms', default: 30000, min: 1 },
  KEY_CACHE_MAX: { type: 'int', default: 10000, min: 1 },
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 2000, min: 1 },
});

function parseConfig(env = process.env) {
  return loadConfig(env, ENV_SCHEMA);
}

module.exports = { ENV_SCHEMA, parseConfig };
