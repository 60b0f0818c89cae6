'use strict';

const { service: { gatewayCaller } } = require('../../../shared');
const { transformError } = require('./errors');

// Transform is reached through the gateway, which asserts the caller's tenant and role together
// with the internal token. Every route acts on the caller's own tenant; changing mappings, UDFs
// and enrichment values needs the tenant's admin role.

const WRITER_ROLES = new Set(['admin', 'platform-admin']);

function authenticate(config) {
  return async function checkCaller(req) {
    const caller = gatewayCaller(req, config.INTERNAL_TOKEN);
    if (!caller) throw transformError('TRANSFORM_UNAUTHENTICATED', 'authentication required');
    req.caller = caller;
  };
}

function requireWriter(req) {
  if (!WRITER_ROLES.has(req.caller.role)) throw transformError('TRANSFORM_FORBIDDEN', 'changing transform settings needs the admin role');
}

module.exports = { authenticate, requireWriter };
