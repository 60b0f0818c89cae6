'use strict';

const { forward, UpstreamError } = require('./proxy');

// API keys travel in the x-api-key header only: never in the URL, where they would end up in
// access logs and browser history.
const API_KEY_HEADER = 'x-api-key';
const KEY_SHAPE = /^dnk_[A-Za-z0-9]{8,64}_[A-Za-z0-9_-]{16,128}$/;

/** Local-development switch that lets requests through without a key. */
function authBypassEnabled(config) {
  return Boolean(config.AUTH_DISABLED);
}

const DEV_PRINCIPAL = Object.freeze({ tenantId: 'dev', keyId: 'dev', role: 'member', scopes: [] });

class AuthFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Resolves the principal of a request by asking auth (`POST /v1/keys/verify`).
 * Throws AuthFailure with the status the gateway should answer.
 */
function createAuthenticator({ config, clock, upstreams, logger }) {
  const bypass = authBypassEnabled(config);
  if (bypass) logger.warn({ event: 'gateway.auth_disabled' }, 'AUTH_DISABLED is set: requests are not authenticated');

  async function verifyWithAuth(key, requestId) {
    let instance;
    try {
      instance = await upstreams.resolve('auth');
    } catch {
      throw new AuthFailure(503, 'GATEWAY_AUTH_UNAVAILABLE', 'authentication service unavailable');
    }
    const body = Buffer.from(JSON.stringify({ key }));
    let res;
    try {
      res = await forward({
        instance,
        method: 'POST',
        path: '/v1/keys/verify',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId, 'x-internal-token': config.INTERNAL_TOKEN },
        body,
        clock,
        timeoutMs: config.AUTH_TIMEOUT_MS,
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'refused') upstreams.invalidate('auth');
      throw new AuthFailure(503, 'GATEWAY_AUTH_UNAVAILABLE', 'authentication service unavailable');
    }
    if (res.status === 200) {
      const principal = JSON.parse(res.body.toString('utf8'));
      return { tenantId: principal.tenantId, keyId: principal.keyId, role: principal.role, scopes: principal.scopes || [], rateLimit: principal.rateLimit || null };
    }
    if (res.status === 401) throw new AuthFailure(401, 'AUTH_INVALID_KEY', 'invalid API key');
    if (res.status === 403) {
      const detail = safeJson(res.body);
      throw new AuthFailure(403, (detail && detail.code) || 'AUTH_FORBIDDEN', (detail && detail.message) || 'forbidden');
    }
    throw new AuthFailure(503, 'GATEWAY_AUTH_UNAVAILABLE', `authentication service answered ${res.status}`);
  }

  return {
    bypass,
    async authenticate(headers, requestId) {
      if (bypass) return DEV_PRINCIPAL;
      const key = headers[API_KEY_HEADER];
      if (typeof key !== 'string' || key.length === 0) throw new AuthFailure(401, 'AUTH_MISSING_KEY', 'missing API key');
      // Malformed keys are refused here without a round trip to auth.
      if (!KEY_SHAPE.test(key)) throw new AuthFailure(401, 'AUTH_INVALID_KEY', 'invalid API key');
      return verifyWithAuth(key, requestId);
    },
  };
}

function safeJson(buffer) {
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    return null;
  }
}

module.exports = { createAuthenticator, authBypassEnabled, AuthFailure, API_KEY_HEADER, KEY_SHAPE };
