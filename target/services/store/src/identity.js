'use strict';

const { service: { gatewayCaller } } = require('../../../shared');
const { storeError } = require('./errors');

// The store is reached through the gateway, which asserts the caller's tenant and role. A tenant
// reads its own series and exports only; no request names another tenant.

const WRITERS = new Set(['admin', 'platform-admin']);

/** onRequest hook: 401 without a caller the gateway asserted. */
function requireCaller(config) {
  return async function checkCaller(req) {
    const caller = gatewayCaller(req, config.INTERNAL_TOKEN);
    if (!caller) throw storeError('STORE_UNAUTHENTICATED', 'authentication required');
    req.caller = caller;
  };
}

/** preHandler for routes that change settings: 403 for read-only roles. */
async function requireWriter(req) {
  if (!WRITERS.has(req.caller.role)) throw storeError('STORE_FORBIDDEN', 'changing retention needs the admin role');
}

module.exports = { requireCaller, requireWriter, WRITERS };
