'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

const TRANSFORM_ERRORS = defineErrors({
  TRANSFORM_INVALID_REQUEST: { statusCode: 400, message: 'request is invalid' },
  TRANSFORM_UNAUTHENTICATED: { statusCode: 401, message: 'authentication required' },
  TRANSFORM_FORBIDDEN: { statusCode: 403, message: 'tenant administrators only' },
  TRANSFORM_MAPPING_NOT_FOUND: { statusCode: 404, message: 'mapping not found' },
  TRANSFORM_UDF_NOT_FOUND: { statusCode: 404, message: 'UDF not found' },
  TRANSFORM_MAPPING_INVALID: { statusCode: 400, message: 'mapping config is invalid' },
  TRANSFORM_UDF_INVALID: { statusCode: 400, message: 'UDF source does not compile' },
  TRANSFORM_EVENT_INVALID: { statusCode: 400, message: 'event does not match ingestion.record' },
  // A UDF that threw, returned something that is not a record patch, ran too long or ran out of
  // memory: the tenant's code failed, not the service.
  TRANSFORM_UDF_FAILED: { statusCode: 422, message: 'UDF failed' },
  TRANSFORM_UDF_TIMEOUT: { statusCode: 422, message: 'UDF ran past its time limit' },
  TRANSFORM_UDF_TERMINATED: { statusCode: 422, message: 'UDF worker terminated' },
  TRANSFORM_POOL_CLOSED: { statusCode: 503, message: 'UDF pool is closed' },
  TRANSFORM_STORE_UNAVAILABLE: { statusCode: 503, message: 'transform store unavailable' },
});

const transformError = errorFactory(TRANSFORM_ERRORS);

module.exports = { TRANSFORM_ERRORS, transformError };
