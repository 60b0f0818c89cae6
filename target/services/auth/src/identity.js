'use strict';

const crypto = require('node:crypto');
const { authError } = require('./errors');
const { isRole } = require('./permissions');

/** Constant-time check of the gateway's internal token. */
function internalTokenValid(presented, expected) {
  if (typeof presented !== 'string' || typeof expected !== 'string' || expected === '') return false;
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function isInternalCall(req, config) {
  return internalTokenValid(req.headers['x-internal-token'], config.INTERNAL_TOKEN);
}

/**
 * Who is calling: a console user with a session token (Authorization: Bearer), or an API-key
 * principal asserted by the gateway (identity headers, trusted only with the internal token).
 * Throws 401 when neither is present or valid.
 */
function createCallerResolver({ config, sessions }) {
  return function callerOf(req) {
    const authorization = req.headers.authorization;
    if (typeof authorization === 'string' && /^Bearer /i.test(authorization)) {
      const claims = sessions.verify(authorization.slice(7).trim());
      return { kind: 'session', tenantId: claims.tid, userId: claims.sub, role: claims.role, expiresAt: claims.exp };
    }
    if (isInternalCall(req, config)) {
      const tenantId = req.headers['x-tenant-id'];
      const role = req.headers['x-user-role'];
      if (typeof tenantId === 'string' && tenantId !== '' && isRole(role)) {
        return { kind: 'key', tenantId, role, keyId: req.headers['x-key-id'] || null, userId: req.headers['x-user-id'] || null };
      }
    }
    throw authError('AUTH_MISSING_CREDENTIALS', 'authentication required');
  };
}

module.exports = { createCallerResolver, internalTokenValid, isInternalCall };
