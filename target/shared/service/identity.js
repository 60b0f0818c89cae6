'use strict';

const crypto = require('node:crypto');

// Services are reached through the gateway, which authenticates the API key and asserts the
// caller in x-tenant-id / x-user-role / x-key-id / x-user-id together with the internal token.
// Identity headers are trusted only when that token is valid.

/**
 * Constant-time comparison of the presented internal token with the configured one. Both are
 * hashed first so the comparison time depends on neither length nor content; an empty expected
 * token never matches (a service without a token trusts no one).
 */
function internalTokenValid(presented, expected) {
  if (typeof presented !== 'string' || typeof expected !== 'string' || expected === '') return false;
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function headerValue(req, name) {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The caller the gateway asserted, or null when the internal token is missing or wrong or the
 * tenant or role is absent. `{ tenantId, role, keyId, userId }` (ids null when not sent).
 */
function gatewayCaller(req, internalToken) {
  if (!internalTokenValid(req.headers['x-internal-token'], internalToken)) return null;
  const tenantId = headerValue(req, 'x-tenant-id');
  const role = headerValue(req, 'x-user-role');
  if (tenantId === null || role === null) return null;
  return { tenantId, role, keyId: headerValue(req, 'x-key-id'), userId: headerValue(req, 'x-user-id') };
}

module.exports = { internalTokenValid, gatewayCaller };
