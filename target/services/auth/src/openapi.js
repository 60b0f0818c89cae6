'use strict';

const S = require('./routes/schemas');

function op(summary, schema, extra = {}) {
  const out = { summary, responses: {} };
  if (schema.body) out.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
  for (const [status, body] of Object.entries(schema.response || {})) {
    out.responses[status] = { description: status, content: { 'application/json': { schema: body } } };
  }
  return { ...out, ...extra };
}

const internal = { description: 'Internal: needs the x-internal-token header of the gateway.' };

const openapi = Object.freeze({
  openapi: '3.1.0',
  info: { title: 'DataNexus auth', version: '1.0.0' },
  components: {
    securitySchemes: {
      session: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (RS256)' },
      gateway: { type: 'apiKey', in: 'header', name: 'x-internal-token' },
    },
  },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
    '/ready': { get: { summary: 'Readiness (PostgreSQL reachable)', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
    '/v1/keys/verify': { post: op('Verify an API key (gateway)', S.verifyKey, internal) },
    '/v1/keys': { post: op('Issue an API key (keys:write)', S.createKey), get: op('List the tenant\'s keys (keys:read)', S.listKeys) },
    '/v1/keys/{id}/rotate': { post: op('Replace a key by a new one (keys:write)', S.rotateKey) },
    '/v1/keys/{id}': { delete: op('Revoke a key (keys:write)', S.revokeKey) },
    '/v1/sessions': { post: op('Console login: email and password to a session token', S.login) },
    '/v1/sessions/current': { get: op('The session of the bearer token', S.currentSession) },
    '/v1/users': { post: op('Add a user to the caller\'s tenant (users:write)', S.createUser) },
    '/v1/teams': { post: op('Create a team (teams:write)', S.createTeam) },
    '/v1/teams/{id}/members': { get: op('Members of a team', S.listMembers), post: op('Add or change a member', S.addMember) },
    '/v1/permissions/check': { post: op('Does a role hold a permission?', S.checkPermission, internal) },
  },
});

module.exports = { openapi };
