'use strict';

const { service: { internalTokenValid, gatewayCaller } } = require('../../../shared');
const { authError } = require('./errors');
const { isRole } = require('./permissions');

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
    const asserted = gatewayCaller(req, config.INTERNAL_TOKEN);
    if (asserted && isRole(asserted.role)) return { kind: 'key', ...asserted };
    throw authError('AUTH_MISSING_CREDENTIALS', 'authentication required');
  };
}

module.exports = { createCallerResolver, isInternalCall };
