'use strict';

const { loadConfig } = require('../utils/config');
const { serviceEntry } = require('./table');

/**
 * The environment schema of service `name`: what every service reads (its name, its port from
 * the service table, the internal token it trusts the gateway by) plus its own `extra` entries.
 */
function serviceSchema(name, extra = {}) {
  return Object.freeze({
    SERVICE_NAME: { type: 'string', default: name },
    PORT: { type: 'int', default: serviceEntry(name).port, min: 0, max: 65535 },
    INTERNAL_TOKEN: { type: 'string', required: true },
    ...extra,
  });
}

/** `parseConfig(env = process.env)` for a schema: the typed, frozen configuration. */
function configParser(schema) {
  return function parseConfig(env = process.env) {
    return loadConfig(env, schema);
  };
}

module.exports = { serviceSchema, configParser };
