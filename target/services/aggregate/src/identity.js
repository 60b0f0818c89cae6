'use strict';

const { service: { gatewayCallerHooks } } = require('../../../shared');
const { aggregateError } = require('./errors');

// Aggregate is reached through the gateway, which asserts the caller's tenant and role. A
// tenant's rollups and windows are those of the tenant the gateway asserted; no request names
// another tenant.
module.exports = gatewayCallerHooks({
  unauthenticated: () => aggregateError('AGGREGATE_UNAUTHENTICATED', 'authentication required'),
  forbidden: () => aggregateError('AGGREGATE_FORBIDDEN', 'changing rollups needs the admin role'),
});
