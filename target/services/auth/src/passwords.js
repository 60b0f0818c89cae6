'use strict';

const crypto = require('node:crypto');
const { promisify } = require('node:util');

const scrypt = promisify(crypto.scrypt);

// scrypt with per-password salt; the parameters travel with the hash so they can be raised later
// without invalidating stored passwords. Format: scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>.
const DEFAULTS = Object.freeze({ N: 16384, r: 8, p: 1, keylen: 32 });

async function hashPassword(password, { N = DEFAULTS.N, r = DEFAULTS.r, p = DEFAULTS.p, salt = crypto.randomBytes(16) } = {}) {
  if (typeof password !== 'string' || password.length < 8 || password.length > 256) {
    throw new TypeError('password must be a string of 8 to 256 characters');
  }
  const derived = await scrypt(password, salt, DEFAULTS.keylen, { N, r, p, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', N, r, p, salt.toString('base64'), derived.toString('base64')].join('$');
}

/** Resolves true when `password` matches `stored`; never throws on a malformed stored hash. */
async function verifyPassword(password, stored) {
  if (typeof password !== 'string' || typeof stored !== 'string') return false;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, N, r, p, saltB64, hashB64] = parts;
  const expected = Buffer.from(hashB64, 'base64');
  if (expected.length < 16) return false;
  let derived;
  try {
    derived = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(N), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  } catch {
    return false;
  }
  return derived.length === expected.length && crypto.timingSafeEqual(derived, expected);
}

module.exports = { hashPassword, verifyPassword, DEFAULTS };
