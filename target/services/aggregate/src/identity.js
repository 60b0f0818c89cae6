'use strict';

const { service: { gatewayCaller } } = require('../../../shared');
const { aggregateError } = require('./errors');

// Aggregate is reached through the gateway, which asserts the caller's tenant and role. A
// tenant's rollups and windows are those of the tenant the gateway asserted; no request names
// another tenant.

const WRITERS = new Set(['admin', 'platform-admin']);

/** onRequest hook: 401 without a caller the gateway asserted. */
function requireCaller(config) {
  return async function checkCaller(req) {
    const caller = gatewayCaller(req, config.INTERNAL_TOKEN);
    if (!caller) throw aggregateError('AGGREGATE_UNAUTHENTICATED', 'authentication required');
    req.caller = caller;
  };
}

/** preHandler for routes that change rollups: 403 for read-only roles. */
async function requireWriter(req) {
  if (!WRITERS.has(req.caller.role)) throw aggregateError('AGGREGATE_FORBIDDEN', 'changing rollups needs the admin role');
}

module.exports = { requireCaller, requireWriter, WRITERS };
