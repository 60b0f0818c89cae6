'use strict';

const { service: { gatewayCallerHooks } } = require('../../../shared');
const { routerError } = require('./errors');

// The router is reached through the gateway, which asserts the caller's tenant and role. A
// tenant's topics, subscriptions and dead letters are those of the tenant the gateway asserted;
// no request names another tenant, except a platform administrator's look at dead letters.
module.exports = gatewayCallerHooks({
  unauthenticated: () => routerError('ROUTER_UNAUTHENTICATED', 'authentication required'),
  forbidden: () => routerError('ROUTER_FORBIDDEN', 'changing routing needs the admin role'),
});
