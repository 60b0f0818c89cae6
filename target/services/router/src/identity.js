'use strict';

const { service: { gatewayCaller } } = require('../../../shared');
const { routerError } = require('./errors');

// The router is reached through the gateway, which asserts the caller's tenant and role. A
// tenant's topics, subscriptions and dead letters are those of the tenant the gateway asserted;
// no request names another tenant, except a platform administrator's look at dead letters.

const WRITERS = new Set(['admin', 'platform-admin']);

/** onRequest hook: 401 without a caller the gateway asserted. */
function requireCaller(config) {
  return async function checkCaller(req) {
    const caller = gatewayCaller(req, config.INTERNAL_TOKEN);
    if (!caller) throw routerError('ROUTER_UNAUTHENTICATED', 'authentication required');
    req.caller = caller;
  };
}

/** preHandler for routes that change routing: 403 for read-only roles. */
async function requireWriter(req) {
  if (!WRITERS.has(req.caller.role)) throw routerError('ROUTER_FORBIDDEN', 'changing routing needs the admin role');
}

module.exports = { requireCaller, requireWriter, WRITERS };
