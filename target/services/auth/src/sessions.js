'use strict';

const jwt = require('./jwt');
const { authError } = require('./errors');

// Session tokens: RS256 only. The list is fixed here, not read from the token or from config,
// so neither a forged header nor a deployment setting can widen it.
const SESSION_ALGORITHMS = Object.freeze(['RS256']);
const AUDIENCE = 'datanexus';

function createSessions({ keyring, clock, issuer, ttlMs }) {
  return {
    issue({ userId, tenantId, role }) {
      const iat = Math.floor(clock.now() / 1000);
      const exp = iat + Math.floor(ttlMs / 1000);
      const token = jwt.sign({ iss: issuer, aud: AUDIENCE, sub: userId, tid: tenantId, role, iat, exp }, keyring.signer);
      return { token, expiresAt: new Date(exp * 1000).toISOString() };
    },
    verify(token) {
      try {
        return jwt.verify(token, { algorithms: SESSION_ALGORITHMS, keyFor: keyring.keyFor, clock, issuer, audience: AUDIENCE });
      } catch (err) {
        if (err instanceof jwt.TokenError) throw authError('AUTH_INVALID_TOKEN', 'invalid session token', { reason: err.reason });
        throw err;
      }
    },
  };
}

module.exports = { createSessions, SESSION_ALGORITHMS, AUDIENCE };
