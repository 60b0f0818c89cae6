'use strict';

const crypto = require('node:crypto');

// API keys look like `dnk_<keyId>_<secret>`. The key id is stored in clear and used to find the
// row; the secret is stored only as its SHA-256 digest. Secrets are 256 random bits, so a fast
// hash is enough: there is nothing to brute-force that a slow hash would protect.
const KEY_PATTERN = /^dnk_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(randomBytes, length) {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  for (let i = 0; i < bytes.length && out.length < length; i += 1) {
    if (bytes[i] < 248) out += ALPHANUMERIC[bytes[i] % 62];
  }
  return out.length === length ? out : randomId(randomBytes, length);
}

/** @returns {{ keyId: string, secret: string, key: string }} */
function generateKey(randomBytes = crypto.randomBytes) {
  const keyId = randomId(randomBytes, 16);
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, key: `dnk_${keyId}_${secret}` };
}

/** @returns {{ keyId: string, secret: string } | null} */
function parseKey(key) {
  if (typeof key !== 'string') return null;
  const m = KEY_PATTERN.exec(key);
  return m ? { keyId: m[1], secret: m[2] } : null;
}

function hashSecret(secret) {
  return crypto.createHash('sha256').update(secret, 'utf8').digest();
}

module.exports = { generateKey, parseKey, hashSecret, KEY_PATTERN };
