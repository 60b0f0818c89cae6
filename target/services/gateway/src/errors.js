'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

// Stable codes of the gateway's answers. Clients branch on `code`, so these are API.
const GATEWAY_ERRORS = defineErrors({
  GATEWAY_NO_ROUTE: { statusCode: 404, message: 'no route' },
  GATEWAY_BAD_PATH: { statusCode: 400, message: 'path is not allowed' },
  GATEWAY_UPGRADE_REQUIRED: { statusCode: 426, message: 'the live feed is a WebSocket: send Upgrade: websocket' },
  GATEWAY_NO_UPSTREAM: { statusCode: 503, message: 'no instance of the upstream service is registered' },
  GATEWAY_CIRCUIT_OPEN: { statusCode: 503, message: 'upstream service is failing; try again later' },
  GATEWAY_UPSTREAM_FAILED: { statusCode: 502, message: 'upstream service failed' },
  GATEWAY_UPSTREAM_TIMEOUT: { statusCode: 504, message: 'upstream service did not answer in time' },
  GATEWAY_RATE_LIMITED: { statusCode: 429, message: 'rate limit exceeded' },
  GATEWAY_AUTH_UNAVAILABLE: { statusCode: 503, message: 'authentication service unavailable' },
  AUTH_MISSING_KEY: { statusCode: 401, message: 'missing API key' },
  AUTH_INVALID_KEY: { statusCode: 401, message: 'invalid API key' },
  AUTH_FORBIDDEN: { statusCode: 403, message: 'forbidden' },
});

const gatewayError = errorFactory(GATEWAY_ERRORS);

module.exports = { GATEWAY_ERRORS, gatewayError };
