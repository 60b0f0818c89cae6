'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

const ADMIN_ERRORS = defineErrors({
  ADMIN_INVALID_REQUEST: { statusCode: 400, message: 'request is invalid' },
  ADMIN_UNAUTHENTICATED: { statusCode: 401, message: 'authentication required' },
  ADMIN_FORBIDDEN: { statusCode: 403, message: 'platform administrators only' },
  ADMIN_TENANT_NOT_FOUND: { statusCode: 404, message: 'tenant not found' },
  ADMIN_FLAG_NOT_FOUND: { statusCode: 404, message: 'feature flag not found' },
  ADMIN_TENANT_EXISTS: { statusCode: 409, message: 'tenant already exists' },
  ADMIN_INVALID_TRANSITION: { statusCode: 409, message: 'tenant status does not allow this' },
  ADMIN_QUOTA_EXCEEDED: { statusCode: 429, message: 'quota exceeded' },
  ADMIN_STORE_UNAVAILABLE: { statusCode: 503, message: 'admin store unavailable' },
});

const adminError = errorFactory(ADMIN_ERRORS);

module.exports = { ADMIN_ERRORS, adminError };
