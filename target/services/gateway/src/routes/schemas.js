'use strict';

// Route schemas of the gateway's own routes; the OpenAPI document is generated from them. The
// forwarded answers are described by each upstream service's own document.

const apiKey = [{ apiKey: [] }];

const proxy = {
  summary: 'Forwarded to the service the route table names: /api/v1/<route>/<path> → <prefix>/<path>',
  description: [
    'Each step answers with its own code: GATEWAY_BAD_PATH (400), AUTH_MISSING_KEY / AUTH_INVALID_KEY (401),',
    'AUTH_FORBIDDEN or the tenant suspended (403), GATEWAY_NO_ROUTE (404), GATEWAY_RATE_LIMITED (429, with',
    'Retry-After), GATEWAY_UPSTREAM_FAILED (502), GATEWAY_NO_UPSTREAM / GATEWAY_CIRCUIT_OPEN /',
    'GATEWAY_AUTH_UNAVAILABLE (503), GATEWAY_UPSTREAM_TIMEOUT (504). Anything else is the upstream answer.',
  ].join(' '),
  security: apiKey,
};

const live = {
  summary: 'WebSocket: live events of the key\'s tenant',
  description: 'Upgrade with the x-api-key header; query `topics=a,b`; messages {op:"subscribe"|"unsubscribe", topic}. A plain GET answers 426.',
  security: apiKey,
  querystring: { type: 'object', properties: { topics: { type: 'string' } } },
};

module.exports = { proxy, live };
