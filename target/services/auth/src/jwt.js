'use strict';

const crypto = require('node:crypto');

// Compact JWS (RFC 7515) for session tokens. The table knows several algorithms because tokens
// from other issuers use them; which ones a verifier accepts is its caller's decision, passed as
// `algorithms`, and the key is chosen by `kid` from the verifier's own key set, never from the
// token. Session tokens are RS256.

const ALGORITHMS = Object.freeze({
  RS256: {
    sign: (input, key) => crypto.sign('sha256', Buffer.from(input), key),
    verify: (input, key, signature) => crypto.verify('sha256', Buffer.from(input), key, signature),
  },
  HS256: {
    sign: (input, key) => crypto.createHmac('sha256', key).update(input).digest(),
    verify: (input, key, signature) => {
      const expected = crypto.createHmac('sha256', key).update(input).digest();
      return expected.length === signature.length && crypto.timingSafeEqual(expected, signature);
    },
  },
  // Unsecured JWS (RFC 7515 appendix A.5): no signature at all.
  none: {
    sign: () => Buffer.alloc(0),
    verify: (input, key, signature) => signature.length === 0,
  },
});

class TokenError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'TokenError';
    this.code = 'AUTH_INVALID_TOKEN';
    this.reason = reason;
  }
}

function b64url(input) {
  return Buffer.from(input).toString('base64url');
}

function decodeJson(part, what) {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new TokenError('malformed', `token ${what} is not a base64url JSON object`);
  }
}

/**
 * @param {object} claims
 * @param {{ alg: string, kid: string, key: crypto.KeyLike }} signer
 */
function sign(claims, { alg, kid, key }) {
  const algorithm = ALGORITHMS[alg];
  if (!algorithm) throw new TypeError(`unknown algorithm ${alg}`);
  const header = { alg, typ: 'JWT', kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${algorithm.sign(input, key).toString('base64url')}`;
}

/**
 * Verifies signature and registered claims; returns the claims.
 * @param {string} token
 * @param {object} options
 * @param {string[]} options.algorithms accepted `alg` values
 * @param {(kid: string) => crypto.KeyLike | undefined} options.keyFor verification key by key id
 * @param {{ now(): number }} options.clock
 * @param {string} [options.issuer]
 * @param {string} [options.audience]
 * @param {number} [options.leewayMs] tolerated clock skew (default 0)
 */
function verify(token, { algorithms, keyFor, clock, issuer, audience, leewayMs = 0 }) {
  if (typeof token !== 'string' || token.length > 8192) throw new TokenError('malformed', 'token must be a string of at most 8192 characters');
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed', `token must have 3 parts, has ${parts.length}`);
  const [headerPart, payloadPart, signaturePart] = parts;
  const header = decodeJson(headerPart, 'header');
  const algorithm = Object.hasOwn(ALGORITHMS, header.alg) ? ALGORITHMS[header.alg] : null;
  if (!algorithm) throw new TokenError('algorithm', `algorithm ${JSON.stringify(header.alg)} is not supported`);
  const key = typeof header.kid === 'string' ? keyFor(header.kid) : undefined;
  if (key === undefined || key === null) throw new TokenError('key', 'token names no known signing key');
  const signature = Buffer.from(signaturePart, 'base64url');
  let valid;
  try {
    valid = algorithm.verify(`${headerPart}.${payloadPart}`, key, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new TokenError('signature', 'token signature does not verify');

  const claims = decodeJson(payloadPart, 'payload');
  const nowSec = Math.floor(clock.now() / 1000);
  const leeway = Math.floor(leewayMs / 1000);
  if (typeof claims.exp !== 'number') throw new TokenError('claims', 'token has no expiry');
  if (nowSec >= claims.exp + leeway) throw new TokenError('expired', 'token has expired');
  if (typeof claims.nbf === 'number' && nowSec + leeway < claims.nbf) throw new TokenError('claims', 'token is not valid yet');
  if (issuer !== undefined && claims.iss !== issuer) throw new TokenError('claims', 'token issuer is not accepted');
  if (audience !== undefined && claims.aud !== audience) throw new TokenError('claims', 'token audience is not accepted');
  return claims;
}

module.exports = { sign, verify, TokenError, ALGORITHMS };
