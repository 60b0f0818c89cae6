'use strict';

const { service: { gatewayCallerHooks } } = require('../../../shared');
const { ingestionError } = require('./errors');

// Ingestion is reached through the gateway, which authenticates the tenant's API key and asserts
// the caller in x-tenant-id / x-user-role / x-key-id with the internal token. The tenant of every
// event is that caller's; a body can never name another tenant. The tenant id also names the
// tenant's stream keys, so only ids of that alphabet are taken.
const TENANT_ID = /^[A-Za-z0-9._-]{1,64}$/;

const { requireCaller } = gatewayCallerHooks({
  unauthenticated: () => ingestionError('INGEST_UNAUTHENTICATED', 'authentication required'),
  acceptCaller: (caller) => TENANT_ID.test(caller.tenantId),
});

module.exports = { requireCaller };
