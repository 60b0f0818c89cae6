'use strict';

const { service: { gatewayCallerHooks } } = require('../../../shared');
const { storeError } = require('./errors');

// The store is reached through the gateway, which asserts the caller's tenant and role. A tenant
// reads its own series and exports only; no request names another tenant.
module.exports = gatewayCallerHooks({
  unauthenticated: () => storeError('STORE_UNAUTHENTICATED', 'authentication required'),
  forbidden: () => storeError('STORE_FORBIDDEN', 'changing retention needs the admin role'),
});
