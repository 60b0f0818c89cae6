'use strict';

const crypto = require('node:crypto');
const { adminError } = require('./errors');

// Admin is reached through the gateway, which authenticates the API key and asserts the caller's
// identity in x-tenant-id / x-user-role / x-key-id, together with the internal token. Identity
// headers without a valid internal token are ignored.

function internalTokenValid(presented, expected) {
  if (typeof presented !== 'string' || typeof expected !== 'string' || expected === '') return false;
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function callerOf(req, config) {
  if (!internalTokenValid(req.headers['x-internal-token'], config.INTERNAL_TOKEN)) return null;
  const tenantId = req.headers['x-tenant-id'];
  const role = req.headers['x-user-role'];
  if (typeof tenantId !== 'string' || tenantId === '' || typeof role !== 'string' || role === '') return null;
  const keyId = req.headers['x-key-id'];
  const userId = req.headers['x-user-id'];
  return { tenantId, role, keyId: keyId || null, userId: userId || null, actor: userId ? `user:${userId}` : `key:${keyId || 'unknown'}` };
}

/** An onRequest hook: 401 without a caller, 403 unless the caller has `role`. */
function requireRole(role, config) {
  return async function checkRole(req) {
    const caller = callerOf(req, config);
    if (!caller) throw adminError('ADMIN_UNAUTHENTICATED', 'authentication required');
    if (caller.role !== role) throw adminError('ADMIN_FORBIDDEN', `${role} only`);
    req.caller = caller;
  };
}

module.exports = { callerOf, requireRole, internalTokenValid };
