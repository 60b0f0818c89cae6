'use strict';

const { utils: { loadConfig } } = require('../../../shared');

const ENV_SCHEMA = Object.freeze({
  SERVICE_NAME: { type: 'string', default: 'admin' },
  PORT: { type: 'int', default: 3013, min: 0, max: 65535 },
  INTERNAL_TOKEN: { type: 'string', required: true },
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 5000, min: 1 },
  OUTBOX_INTERVAL_MS: { type: 'duration-ms', default: 5000, min: 1 },
});

function parseConfig(env = process.env) {
  return loadConfig(env, ENV_SCHEMA);
}

module.exports = { ENV_SCHEMA, parseConfig };
