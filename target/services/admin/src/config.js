'use strict';

const { service: { serviceSchema, configParser } } = require('../../../shared');

const ENV_SCHEMA = serviceSchema('admin', {
  DB_TIMEOUT_MS: { type: 'duration-ms', default: 5000, min: 1 },
  OUTBOX_INTERVAL_MS: { type: 'duration-ms', default: 5000, min: 1 },
});

const parseConfig = configParser(ENV_SCHEMA);

module.exports = { ENV_SCHEMA, parseConfig };
