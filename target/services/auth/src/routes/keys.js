'use strict';

const S = require('./schemas');
const { authError } = require('../errors');
const { can } = require('../permissions');
const { isInternalCall } = require('../identity');

function requirePermission(caller, permission) {
  if (!can(caller.role, permission)) throw authError('AUTH_FORBIDDEN', `${permission} needs a higher role than ${caller.role}`);
  return caller;
}

async function keyRoutes(app, { config, keys, callerOf }) {
  // Internal: the gateway asks this for every request. Not reachable without the internal token.
  app.post('/v1/keys/verify', { schema: S.verifyKey }, async (req) => {
    if (!isInternalCall(req, config)) throw authError('AUTH_MISSING_CREDENTIALS', 'internal endpoint');
    return keys.verify(req.body.key);
  });

  app.post('/v1/keys', { schema: S.createKey }, async (req, reply) => {
    const caller = requirePermission(callerOf(req), 'keys:write');
    reply.code(201);
    return keys.create(caller, req.body);
  });

  app.get('/v1/keys', { schema: S.listKeys }, async (req) => {
    const caller = requirePermission(callerOf(req), 'keys:read');
    return { items: await keys.list(caller) };
  });

  app.post('/v1/keys/:id/rotate', { schema: S.rotateKey }, async (req, reply) => {
    const caller = requirePermission(callerOf(req), 'keys:write');
    reply.code(201);
    return keys.rotate(caller, req.params.id);
  });

  app.delete('/v1/keys/:id', { schema: S.revokeKey }, async (req, reply) => {
    const caller = requirePermission(callerOf(req), 'keys:write');
    await keys.revoke(caller, req.params.id);
    reply.code(204);
  });
}

module.exports = { keyRoutes, requirePermission };
