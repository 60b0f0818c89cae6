'use strict';

const { withDeadline } = require('./deadline');

// Liveness says the process answers; readiness says the service can do its job right now.
// Readiness runs named checks, each bounded by its own deadline so one stalled dependency
// cannot hang the probe, and reports every one of them:
//   { status: 'ready' | 'not-ready', checks: { <name>: <value> | 'ok' | 'down: <reason>' } }

const DEFAULT_DEADLINE_MS = 2000;

const checksBody = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ready', 'not-ready'] }, checks: { type: 'object', additionalProperties: true } },
  required: ['status', 'checks'],
};

// Not frozen: fastify marks the schemas it has compiled.
const HEALTH_SCHEMA = {
  summary: 'Liveness: the process answers',
  response: { 200: { type: 'object', properties: { status: { type: 'string' }, service: { type: 'string' } }, required: ['status', 'service'] } },
};

const READY_SCHEMA = {
  summary: 'Readiness: every named check passed within its deadline',
  response: { 200: checksBody, 503: checksBody },
};

/**
 * Runs one check. `run()` resolves a value to report (undefined reports 'ok'); a throw, a
 * rejection or the deadline reports `down: <reason>`; `ready(value)` may refuse a value that
 * was read fine (a route table with no routes).
 */
async function runCheck(check, clock) {
  const deadlineMs = check.deadlineMs ?? DEFAULT_DEADLINE_MS;
  try {
    const value = await withDeadline(Promise.resolve().then(check.run), clock, deadlineMs);
    const ok = check.ready ? Boolean(check.ready(value)) : true;
    return { ok, value: value === undefined ? 'ok' : value };
  } catch (err) {
    return { ok: false, value: `down: ${err && err.message ? err.message : String(err)}` };
  }
}

/** Runs every check at once and reports them in the order they were named. */
async function readiness(checks, clock) {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name], clock)));
  const report = {};
  names.forEach((name, i) => {
    report[name] = results[i].value;
  });
  const ok = results.every((r) => r.ok);
  return { ok, body: { status: ok ? 'ready' : 'not-ready', checks: report } };
}

/**
 * Fastify plugin: GET /health and GET /ready.
 * @param {object} options
 * @param {string} options.service name reported by /health
 * @param {object} options.clock
 * @param {Record<string, { run: () => unknown, deadlineMs?: number, ready?: (value: unknown) => boolean }>} options.checks
 */
async function healthRoutes(app, { service, clock, checks }) {
  app.get('/health', { schema: HEALTH_SCHEMA }, async () => ({ status: 'ok', service }));
  app.get('/ready', { schema: READY_SCHEMA }, async (req, reply) => {
    const { ok, body } = await readiness(checks, clock);
    reply.code(ok ? 200 : 503);
    return body;
  });
}

/** A readiness check that one PostgreSQL database answers a trivial query within `deadlineMs`. */
function postgresCheck(postgres, database, deadlineMs) {
  return {
    run: async () => {
      await postgres.query(database, 'SELECT 1');
    },
    deadlineMs,
  };
}

module.exports = { healthRoutes, readiness, postgresCheck, DEFAULT_DEADLINE_MS };
