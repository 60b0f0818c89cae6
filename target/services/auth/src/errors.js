'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

// Stable codes of auth's answers; the gateway and the other services branch on them.
const AUTH_ERRORS = defineErrors({
  AUTH_INVALID_REQUEST: { statusCode: 400, message: 'request is invalid' },
  AUTH_MISSING_CREDENTIALS: { statusCode: 401, message: 'authentication required' },
  AUTH_INVALID_KEY: { statusCode: 401, message: 'invalid API key' },
  AUTH_INVALID_TOKEN: { statusCode: 401, message: 'invalid session token' },
  AUTH_INVALID_CREDENTIALS: { statusCode: 401, message: 'invalid email or password' },
  AUTH_FORBIDDEN: { statusCode: 403, message: 'not allowed' },
  AUTH_TENANT_SUSPENDED: { statusCode: 403, message: 'tenant is suspended' },
  AUTH_KEY_NOT_FOUND: { statusCode: 404, message: 'API key not found' },
  AUTH_KEY_REVOKED: { statusCode: 409, message: 'API key is already revoked' },
  AUTH_TEAM_NOT_FOUND: { statusCode: 404, message: 'team not found' },
  AUTH_USER_NOT_FOUND: { statusCode: 404, message: 'user not found' },
  AUTH_CONFLICT: { statusCode: 409, message: 'already exists' },
  AUTH_STORE_UNAVAILABLE: { statusCode: 503, message: 'authentication store unavailable' },
});

const authError = errorFactory(AUTH_ERRORS);

module.exports = { AUTH_ERRORS, authError };
