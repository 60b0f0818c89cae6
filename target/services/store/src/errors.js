'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

const STORE_ERRORS = defineErrors({
  STORE_INVALID_REQUEST: { statusCode: 400, message: 'request is invalid' },
  STORE_RANGE_INVALID: { statusCode: 400, message: 'time range is invalid' },
  STORE_EXPORT_PATH_INVALID: { statusCode: 400, message: 'export file name is invalid' },
  STORE_UNAUTHENTICATED: { statusCode: 401, message: 'authentication required' },
  STORE_FORBIDDEN: { statusCode: 403, message: 'not allowed for this role' },
  STORE_EXPORT_NOT_FOUND: { statusCode: 404, message: 'export not found' },
  STORE_TOO_MANY_POINTS: { statusCode: 413, message: 'the range holds too many points' },
  // A window that can never be stored as it is (not an aggregate.window.closed envelope): not retried.
  STORE_EVENT_INVALID: { statusCode: 422, message: 'event does not match its contract' },
  STORE_STORE_UNAVAILABLE: { statusCode: 503, message: 'metrics store unavailable' },
});

const storeError = errorFactory(STORE_ERRORS);

module.exports = { STORE_ERRORS, storeError };
