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

// The roles that may change a tenant's settings in the services that do not define their own.
const WRITER_ROLES = new Set(['admin', 'platform-admin']);

/**
 * The two hooks a service puts in front of its routes, so each service states only its errors:
 * - `requireCaller(config)`, an onRequest hook: the error from `unauthenticated()` unless the
 *   gateway asserted a caller (and `acceptCaller` takes it); the caller lands on `req.caller`.
 * - `requireWriter`, a preHandler (only when `forbidden` is given): the error from `forbidden()`
 *   unless the caller's role is one of `writerRoles`.
 */
function gatewayCallerHooks({ unauthenticated, forbidden, writerRoles = WRITER_ROLES, acceptCaller = () => true }) {
  function requireCaller(config) {
    return async function checkCaller(req) {
      const caller = gatewayCaller(req, config.INTERNAL_TOKEN);
      if (!caller || !acceptCaller(caller)) throw unauthenticated();
      req.caller = caller;
    };
  }
  if (!forbidden) return { requireCaller };
  async function requireWriter(req) {
    if (!writerRoles.has(req.caller.role)) throw forbidden();
  }
  return { requireCaller, requireWriter };
}

module.exports = { internalTokenValid, gatewayCaller, gatewayCallerHooks };
