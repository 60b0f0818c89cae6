'use strict';

const { service: { gatewayCallerHooks } } = require('../../../shared');
const { transformError } = require('./errors');

// Transform is reached through the gateway, which asserts the caller's tenant and role together
// with the internal token. Every route acts on the caller's own tenant; changing mappings, UDFs
// and enrichment values needs the tenant's admin role.
module.exports = gatewayCallerHooks({
  unauthenticated: () => transformError('TRANSFORM_UNAUTHENTICATED', 'authentication required'),
  forbidden: () => transformError('TRANSFORM_FORBIDDEN', 'changing transform settings needs the admin role'),
});
