'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

const ROUTER_ERRORS = defineErrors({
  ROUTER_INVALID_REQUEST: { statusCode: 400, message: 'request is invalid' },
  ROUTER_PATTERN_INVALID: { statusCode: 400, message: 'binding pattern is invalid' },
  ROUTER_UNAUTHENTICATED: { statusCode: 401, message: 'authentication required' },
  ROUTER_FORBIDDEN: { statusCode: 403, message: 'not allowed for this role' },
  ROUTER_TOPIC_NOT_FOUND: { statusCode: 404, message: 'topic not found' },
  ROUTER_SUBSCRIPTION_NOT_FOUND: { statusCode: 404, message: 'subscription not found' },
  ROUTER_TOPIC_EXISTS: { statusCode: 409, message: 'topic already exists' },
  ROUTER_LIMIT_EXCEEDED: { statusCode: 409, message: 'too many topics or subscriptions' },
  // An event that can never be routed as it is (not a transform.record envelope): not retried.
  ROUTER_EVENT_INVALID: { statusCode: 422, message: 'event does not match its contract' },
  ROUTER_STORE_UNAVAILABLE: { statusCode: 503, message: 'router store unavailable' },
});

const routerError = errorFactory(ROUTER_ERRORS);

module.exports = { ROUTER_ERRORS, routerError };
