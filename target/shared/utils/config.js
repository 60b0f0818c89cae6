'use strict';

// Typed configuration. Environment variables are strings; every value is parsed and validated
// once, here, so no other module ever does arithmetic or truth tests on a raw `process.env` string.
//
// This module requires nothing from shared/; shared/index.js re-exports it.

const os = require('node:os');
const path = require('node:path');

// Same brand as DataNexusError (errors.js), so `err instanceof DataNexusError` holds for ConfigError
// without this leaf module having to require errors.js.
const BRAND = Symbol.for('datanexus.error');

class ConfigError extends Error {
  constructor(key, expected, received, reason) {
    const shown = received === undefined ? 'nothing' : JSON.stringify(received);
    super(`config ${key}: expected ${expected}, received ${shown}${reason ? ` (${reason})` : ''}`);
    this.name = 'ConfigError';
    this.code = 'DN_CONFIG_INVALID';
    this.statusCode = 500;
    this.details = { key, expected, received };
    Object.defineProperty(this, BRAND, { value: true });
  }
}

const LOG_LEVELS = Object.freeze(['silent', 'error', 'warn', 'info', 'debug']);

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// Each parser takes the trimmed string and the schema entry; it returns the typed value or
// throws a ConfigError through `fail(expected, reason?)`.
const PARSERS = {
  string(raw) {
    return raw;
  },
  int(raw, spec, fail) {
    if (!/^[+-]?\d+$/.test(raw)) fail('an integer');
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) fail('an integer', 'out of the safe integer range');
    return checkRange(n, spec, fail, 'an integer');
  },
  number(raw, spec, fail) {
    const n = raw === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n)) fail('a finite number');
    return checkRange(n, spec, fail, 'a finite number');
  },
  bool(raw, spec, fail) {
    const v = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return fail('a boolean (true/false/1/0/yes/no/on/off)');
  },
  url(raw, spec, fail) {
    let u;
    try {
      u = new URL(raw);
    } catch {
      return fail('a URL');
    }
    if (spec.protocols && !spec.protocols.includes(u.protocol.replace(/:$/, ''))) {
      fail(`a URL with protocol ${spec.protocols.join('/')}`);
    }
    return raw;
  },
  'duration-ms'(raw, spec, fail) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(raw);
    if (!m) fail('a duration in ms (e.g. 1500, 1500ms, 2s, 5m, 1h)');
    const ms = Number(m[1]) * DURATION_UNITS[(m[2] || 'ms').toLowerCase()];
    if (!Number.isSafeInteger(ms)) fail('a whole number of milliseconds');
    return checkRange(ms, spec, fail, 'a duration in ms');
  },
  enum(raw, spec, fail) {
    if (!spec.values.includes(raw)) fail(`one of ${spec.values.join('/')}`);
    return raw;
  },
  list(raw) {
    return Object.freeze(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  },
};

function checkRange(n, spec, fail, what) {
  if (spec.min !== undefined && n < spec.min) fail(`${what} >= ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) fail(`${what} <= ${spec.max}`);
  return n;
}

const BASE_SCHEMA = Object.freeze({
  SERVICE_NAME: { type: 'string', default: 'datanexus' },
  PORT: { type: 'int', default: 0, min: 0, max: 65535 },
  HOST: { type: 'string', default: '127.0.0.1' },
  LOG_LEVEL: { type: 'enum', values: LOG_LEVELS, default: 'info' },
  // The four databases have no defaults: a service that needs one must be given its URL, and the
  // postgres client refuses to route a database whose URL is missing.
  PIPELINE_DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'] },
  USERS_DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'] },
  METRICS_DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'] },
  BILLING_DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'] },
  REDIS_URL: { type: 'url', protocols: ['redis', 'rediss'], default: 'redis://127.0.0.1:6379' },
  REDIS_PREFIX: { type: 'string', default: 'dn:' },
  AMQP_URL: { type: 'url', protocols: ['amqp', 'amqps'], default: 'amqp://guest:guest@127.0.0.1:5672' },
  OBJECT_STORE_DIR: { type: 'string', default: path.join(os.tmpdir(), 'datanexus-objects') },
  OBJECT_STORE_BUCKET: { type: 'string', default: 'datanexus' },
  HEALTH_INTERVAL_MS: { type: 'duration-ms', default: 10_000, min: 1 },
  REGISTRY_TTL_MS: { type: 'duration-ms', default: 30_000, min: 1 },
  RECONNECT_BASE_MS: { type: 'duration-ms', default: 100, min: 1 },
  RECONNECT_MAX_MS: { type: 'duration-ms', default: 30_000, min: 1 },
});

function describeType(spec) {
  return spec.type === 'enum' ? `one of ${spec.values.join('/')}` : spec.type;
}

function parseValue(key, spec, rawValue) {
  const parser = PARSERS[spec.type];
  if (!parser) throw new ConfigError(key, 'a known schema type', spec.type, 'schema error');
  const fail = (expected, reason) => {
    throw new ConfigError(key, expected, rawValue, reason);
  };
  return parser(String(rawValue).trim(), spec, fail);
}

/**
 * Parses `env` against the base schema plus `extraSchema` and returns a frozen object keyed by
 * variable name. An empty string counts as unset (deployment manifests often blank a variable to
 * mean "use the default"). Unset keys take their default, or stay undefined when the schema has none;
 * `required: true` turns a missing value into a ConfigError.
 *
 * The object also has non-enumerable `get(key)` (throws on keys outside the schema) and `has(key)`.
 */
function loadConfig(env = process.env, extraSchema = {}) {
  const schema = { ...BASE_SCHEMA, ...extraSchema };
  const out = {};
  for (const [key, spec] of Object.entries(schema)) {
    const raw = env[key];
    if (raw === undefined || raw === null || String(raw).trim() === '') {
      if (spec.required) throw new ConfigError(key, describeType(spec), undefined, 'required');
      out[key] = spec.type === 'list' && Array.isArray(spec.default) ? Object.freeze([...spec.default]) : spec.default;
      continue;
    }
    out[key] = parseValue(key, spec, raw);
  }
  Object.defineProperty(out, 'get', {
    value(key) {
      if (!Object.hasOwn(schema, key)) throw new ConfigError(key, 'a key declared in the config schema', key, 'unknown key');
      return out[key];
    },
  });
  Object.defineProperty(out, 'has', {
    value(key) {
      return Object.hasOwn(schema, key) && out[key] !== undefined;
    },
  });
  Object.defineProperty(out, 'schema', { value: Object.freeze(schema) });
  return Object.freeze(out);
}

let defaultConfig;

module.exports = { loadConfig, ConfigError, BASE_SCHEMA, LOG_LEVELS, parseValue };

// The default config is built on first use, not at require time: requiring shared/ must not fail
// because of an environment variable a process never reads.
Object.defineProperty(module.exports, 'config', {
  enumerable: true,
  get() {
    if (defaultConfig === undefined) defaultConfig = loadConfig(process.env);
    return defaultConfig;
  },
});
