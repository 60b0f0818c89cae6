'use strict';

const crypto = require('node:crypto');
const jwt = require('../../../../services/auth/src/jwt');
const { createSessions } = require('../../../../services/auth/src/sessions');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { testKeyring } = require('../../../support/boot-service');

const NOW = 1_700_000_000_000;
const keyring = testKeyring();
const otherKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const claims = { iss: 'datanexus-auth', aud: 'datanexus', sub: 'attacker', tid: 'victim-tenant', role: 'owner', iat: NOW / 1000, exp: NOW / 1000 + 3600 };

function handMade(header, payload, sign) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign ? sign(input) : ''}`;
}

const FORGERIES = [
  ['alg none without a signature', () => handMade({ alg: 'none', typ: 'JWT', kid: 'test-kid' }, claims)],
  ['alg none with a leftover signature dot', () => `${handMade({ alg: 'none', kid: 'test-kid' }, claims)}`],
  ['alg NONE in capitals', () => handMade({ alg: 'NONE', kid: 'test-kid' }, claims)],
  ['HS256 keyed with the RS256 public key (algorithm confusion)', () => handMade({ alg: 'HS256', typ: 'JWT', kid: 'test-kid' }, claims, (input) => crypto.createHmac('sha256', keyring.publicKey).update(input).digest('base64url'))],
  ['RS256 signed with a key that is not ours', () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    return handMade({ alg: 'RS256', kid: 'test-kid' }, claims, (input) => crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url'));
  }],
  ['ES256 signed with an attacker EC key', () => handMade({ alg: 'ES256', kid: 'test-kid' }, claims, (input) => crypto.sign('sha256', Buffer.from(input), otherKey.privateKey).toString('base64url'))],
  ['an unknown key id', () => jwt.sign(claims, { ...keyring.signer, kid: 'attacker-kid' })],
  ['no key id at all', () => handMade({ alg: 'RS256' }, claims, (input) => crypto.sign('sha256', Buffer.from(input), keyring.privateKey).toString('base64url'))],
  ['an expired token', () => jwt.sign({ ...claims, exp: NOW / 1000 - 1 }, keyring.signer)],
  ['a token for another audience', () => jwt.sign({ ...claims, aud: 'elsewhere' }, keyring.signer)],
  ['a valid signature over a swapped payload', () => {
    const real = jwt.sign({ ...claims, role: 'viewer' }, keyring.signer).split('.');
    return `${real[0]}.${b64(claims)}.${real[2]}`;
  }],
];

describe('forged session tokens', () => {
  const sessions = createSessions({ keyring, clock: createFakeClock(NOW), issuer: 'datanexus-auth', ttlMs: 3_600_000 });

  test.each(FORGERIES)('%s is refused', (name, forge) => {
    expect(() => sessions.verify(forge())).toThrow(expect.objectContaining({ code: 'AUTH_INVALID_TOKEN', statusCode: 401 }));
  });

  test('a genuine token is accepted (the table above is not refusing everything)', () => {
    expect(sessions.verify(jwt.sign(claims, keyring.signer))).toMatchObject({ sub: 'attacker', role: 'owner' });
  });
});
