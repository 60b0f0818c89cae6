'use strict';

const { service: { gatewayCaller } } = require('../../../shared');
const { adminError } = require('./errors');

// Admin is reached through the gateway, which authenticates the API key and asserts the caller's
// identity in x-tenant-id / x-user-role / x-key-id, together with the internal token. Identity
// headers without a valid internal token are ignored.

/** The caller with the actor the audit log records: the user when there is one, else the key. */
function callerOf(req, config) {
  const caller = gatewayCaller(req, config.INTERNAL_TOKEN);
  if (!caller) return null;
  return { ...caller, actor: caller.userId ? `user:${caller.userId}` : `key:${caller.keyId || 'unknown'}` };
}

/** An onRequest hook: 401 without a caller, 403 unless the caller has `role`. */
function requireRole(role, config) {
  return async function checkRole(req) {
    const caller = callerOf(req, config);
    if (!caller) throw adminError('ADMIN_UNAUTHENTICATED', 'authentication required');
    if (caller.role !== role) throw adminError('ADMIN_FORBIDDEN', `${role} only`);
    req.caller = caller;
  };
}

module.exports = { callerOf, requireRole };
