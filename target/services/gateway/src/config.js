'use strict';

const { utils: { loadConfig: parseEnvironment }, service: { defaultRoutes } } = require('../../../shared');
const { buildRouter } = require('./router');

// Gateway settings on top of the shared base schema.
const ENV_SCHEMA = Object.freeze({
  SERVICE_NAME: { type: 'string', default: 'gateway' },
  PORT: { type: 'int', default: 3000, min: 0, max: 65535 },
  // Shared secret sent with every upstream call; upstream services trust identity headers only
  // when it is present.
  INTERNAL_TOKEN: { type: 'string', required: true },
  // Local development only: lets requests through without an API key.
  AUTH_DISABLED: { type: 'string' },
  AUTH_TIMEOUT_MS: { type: 'duration-ms', default: 2000, min: 1 },
  UPSTREAM_TIMEOUT_MS: { type: 'duration-ms', default: 10000, min: 1 },
  UPSTREAM_CACHE_TTL_MS: { type: 'duration-ms', default: 5000, min: 1 },
  RATE_LIMIT_RATE: { type: 'number', default: 10, min: 0.001 },
  RATE_LIMIT_BURST: { type: 'int', default: 20, min: 1 },
  RATE_LIMIT_STORE_TIMEOUT_MS: { type: 'duration-ms', default: 250, min: 1 },
  CIRCUIT_FAILURE_THRESHOLD: { type: 'int', default: 5, min: 1 },
  CIRCUIT_COOLDOWN_MS: { type: 'duration-ms', default: 10000, min: 1 },
  BODY_LIMIT_BYTES: { type: 'int', default: 1048576, min: 1 },
  ROUTES_KEY: { type: 'string', default: 'gateway/routes' },
  LIVE_CHANNEL: { type: 'string', default: 'live' },
  WS_MAX_TOPICS: { type: 'int', default: 32, min: 1 },
});

// Used when the registry KV holds no route table: every service under its own name.
const DEFAULT_ROUTES = defaultRoutes();

/** Typed gateway configuration from environment variables. */
function parseConfig(env = process.env) {
  return parseEnvironment(env, ENV_SCHEMA);
}

/**
 * Reads the settings that live in the registry KV (the route table). Async: it is a Redis round
 * trip, and a table that cannot be parsed fails the boot rather than serving a partial table.
 */
async function loadConfig({ registry, key }) {
  const stored = await registry.kv.get(key);
  if (stored === null || stored === undefined) return { routes: DEFAULT_ROUTES, routesSource: 'defaults' };
  const routes = typeof stored === 'string' ? JSON.parse(stored) : stored;
  if (!routes || typeof routes !== 'object' || Array.isArray(routes)) {
    throw new TypeError(`route table at ${key} must be an object keyed by route name, got ${Array.isArray(routes) ? 'an array' : typeof routes}`);
  }
  return { routes, routesSource: 'registry' };
}

/** Loads the KV settings, then builds the router from them. */
async function init({ config, registry }) {
  const settings = { routes: {}, routesSource: 'none' };
  Object.assign(settings, loadConfig({ registry, key: config.ROUTES_KEY }));
  return { ...settings, router: buildRouter(settings.routes) };
}

module.exports = { ENV_SCHEMA, DEFAULT_ROUTES, parseConfig, loadConfig, init };
