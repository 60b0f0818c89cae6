'use strict';

const { service: { gatewayCaller } } = require('../../../shared');
const { ingestionError } = require('./errors');

// Ingestion is reached through the gateway, which authenticates the tenant's API key and asserts
// the caller in x-tenant-id / x-user-role / x-key-id with the internal token. The tenant of every
// event is that caller's; a body can never name another tenant.
const TENANT_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** An onRequest hook (before the body is read): 401 unless the gateway asserted a tenant. */
function requireCaller(config) {
  return async function checkCaller(req) {
    const caller = gatewayCaller(req, config.INTERNAL_TOKEN);
    if (!caller || !TENANT_ID.test(caller.tenantId)) throw ingestionError('INGEST_UNAUTHENTICATED', 'authentication required');
    req.caller = caller;
  };
}

module.exports = { requireCaller };
