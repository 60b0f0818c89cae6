'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

const AGGREGATE_ERRORS = defineErrors({
  AGGREGATE_INVALID_REQUEST: { statusCode: 400, message: 'request is invalid' },
  AGGREGATE_ROLLUP_INVALID: { statusCode: 400, message: 'rollup definition is invalid' },
  AGGREGATE_UNAUTHENTICATED: { statusCode: 401, message: 'authentication required' },
  AGGREGATE_FORBIDDEN: { statusCode: 403, message: 'not allowed for this role' },
  AGGREGATE_ROLLUP_NOT_FOUND: { statusCode: 404, message: 'rollup not found' },
  AGGREGATE_ROLLUP_EXISTS: { statusCode: 409, message: 'rollup already exists' },
  AGGREGATE_LIMIT_EXCEEDED: { statusCode: 409, message: 'too many rollups' },
  // A delivery that is not a router.routed envelope: it can never be aggregated, so it is not retried.
  AGGREGATE_EVENT_INVALID: { statusCode: 422, message: 'event does not match its contract' },
  AGGREGATE_STORE_UNAVAILABLE: { statusCode: 503, message: 'aggregate store unavailable' },
});

const aggregateError = errorFactory(AGGREGATE_ERRORS);

module.exports = { AGGREGATE_ERRORS, aggregateError };
