'use strict';

const S = require('./schemas');
const { login } = require('../login');
const { authError } = require('../errors');
const { requirePermission } = require('./keys');
const { can } = require('../permissions');
const { isInternalCall } = require('../identity');

async function sessionRoutes(app, { config, users, keyRepo, sessions, callerOf }) {
  app.post('/v1/sessions', { schema: S.login }, async (req, reply) => {
    const session = await login({ users, keys: keyRepo, sessions }, req.body);
    reply.code(201);
    return session;
  });

  app.get('/v1/sessions/current', { schema: S.currentSession }, async (req) => {
    const caller = callerOf(req);
    if (caller.kind !== 'session') throw authError('AUTH_INVALID_TOKEN', 'no session token');
    return { userId: caller.userId, tenantId: caller.tenantId, role: caller.role, expiresAt: new Date(caller.expiresAt * 1000).toISOString() };
  });

  app.post('/v1/users', { schema: S.createUser }, async (req, reply) => {
    const caller = requirePermission(callerOf(req), 'users:write');
    reply.code(201);
    return users.create(caller, req.body);
  });

  // Internal: other services ask whether a role holds a permission.
  app.post('/v1/permissions/check', { schema: S.checkPermission }, async (req) => {
    if (!isInternalCall(req, config)) throw authError('AUTH_MISSING_CREDENTIALS', 'internal endpoint');
    return { allowed: can(req.body.role, req.body.permission) };
  });
}

module.exports = { sessionRoutes };
