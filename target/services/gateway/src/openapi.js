'use strict';

// OpenAPI description of the gateway's own routes (the proxied routes are described by each
// upstream service). Served at GET /openapi.json.
const errorBody = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
  required: ['code', 'message'],
};

const openapi = Object.freeze({
  openapi: '3.1.0',
  info: { title: 'DataNexus gateway', version: '1.0.0' },
  components: {
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
    schemas: { Error: errorBody },
  },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: { description: 'the process answers' } } } },
    '/ready': {
      get: {
        summary: 'Readiness: route table loaded and rate-limit store reachable',
        responses: { 200: { description: 'ready' }, 503: { description: 'not ready; `checks` says why' } },
      },
    },
    '/api/v1/{route}/{path}': {
      parameters: [
        { name: 'route', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'path', in: 'path', required: true, schema: { type: 'string' } },
      ],
      get: {
        summary: 'Forwarded to the service the route table names (also POST, PUT, PATCH, DELETE)',
        security: [{ apiKey: [] }],
        responses: {
          '2XX': { description: 'the upstream answer' },
          400: { description: 'GATEWAY_BAD_PATH', content: { 'application/json': { schema: errorBody } } },
          401: { description: 'AUTH_MISSING_KEY / AUTH_INVALID_KEY' },
          403: { description: 'tenant suspended or key not allowed' },
          404: { description: 'GATEWAY_NO_ROUTE' },
          429: { description: 'GATEWAY_RATE_LIMITED, with Retry-After' },
          502: { description: 'GATEWAY_UPSTREAM_FAILED' },
          503: { description: 'GATEWAY_NO_UPSTREAM / GATEWAY_CIRCUIT_OPEN / GATEWAY_AUTH_UNAVAILABLE' },
          504: { description: 'GATEWAY_UPSTREAM_TIMEOUT' },
        },
      },
    },
    '/v1/live': {
      get: {
        summary: 'WebSocket: live events of the key\'s tenant. Query `topics=a,b`; messages {op:"subscribe"|"unsubscribe", topic}',
        security: [{ apiKey: [] }],
        responses: { 101: { description: 'switching protocols' }, 401: { description: 'bad key' }, 429: { description: 'rate limited' } },
      },
    },
  },
});

module.exports = { openapi };
