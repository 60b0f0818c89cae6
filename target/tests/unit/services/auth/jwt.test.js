'use strict';

const jwt = require('../../../../services/auth/src/jwt');
const { createSessions } = require('../../../../services/auth/src/sessions');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { testKeyring } = require('../../../support/boot-service');

const keyring = testKeyring();
const verifyOptions = (clock) => ({ algorithms: ['RS256'], keyFor: keyring.keyFor, clock });

describe('jwt', () => {
  test('an RS256 token round-trips its claims', () => {
    const clock = createFakeClock(1_700_000_000_000);
    const token = jwt.sign({ sub: 'u1', exp: 1_700_000_060 }, keyring.signer);
    expect(jwt.verify(token, verifyOptions(clock))).toEqual({ sub: 'u1', exp: 1_700_000_060 });
  });

  test('the header names the algorithm and the key id', () => {
    const token = jwt.sign({ exp: 1 }, keyring.signer);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'test-kid' });
  });

  test('an expired token is refused at its exp second', () => {
    const clock = createFakeClock(1_700_000_060_000);
    const token = jwt.sign({ exp: 1_700_000_060 }, keyring.signer);
    expect(() => jwt.verify(token, verifyOptions(clock))).toThrow(expect.objectContaining({ reason: 'expired' }));
  });

  test('a token without exp is refused', () => {
    const token = jwt.sign({ sub: 'u1' }, keyring.signer);
    expect(() => jwt.verify(token, verifyOptions(createFakeClock(0)))).toThrow(expect.objectContaining({ reason: 'claims' }));
  });

  test('issuer and audience must match when given', () => {
    const clock = createFakeClock(0);
    const token = jwt.sign({ iss: 'a', aud: 'x', exp: 10 }, keyring.signer);
    expect(() => jwt.verify(token, { ...verifyOptions(clock), issuer: 'b' })).toThrow(/issuer/);
    expect(() => jwt.verify(token, { ...verifyOptions(clock), audience: 'y' })).toThrow(/audience/);
    expect(jwt.verify(token, { ...verifyOptions(clock), issuer: 'a', audience: 'x' }).iss).toBe('a');
  });

  test('a changed payload breaks the signature', () => {
    const token = jwt.sign({ role: 'member', exp: 10 }, keyring.signer);
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ role: 'owner', exp: 10 })).toString('base64url')}.${s}`;
    expect(() => jwt.verify(forged, verifyOptions(createFakeClock(0)))).toThrow(expect.objectContaining({ reason: 'signature' }));
  });

  test('a verifier accepts exactly the algorithms its caller lists', () => {
    const clock = createFakeClock(0);
    const secret = 'hmac-secret-of-another-issuer';
    const keyFor = (kid) => (kid === 'hs' ? secret : keyring.keyFor(kid));
    const hs = jwt.sign({ exp: 10 }, { alg: 'HS256', kid: 'hs', key: secret });
    const rs = jwt.sign({ exp: 10 }, keyring.signer);
    expect(jwt.verify(hs, { algorithms: ['HS256'], keyFor, clock })).toEqual({ exp: 10 });
    expect(() => jwt.verify(rs, { algorithms: ['HS256'], keyFor, clock })).toThrow(jwt.TokenError);
    expect(() => jwt.verify(hs, { algorithms: ['RS256'], keyFor, clock })).toThrow(jwt.TokenError);
    expect(jwt.verify(hs, { algorithms: ['RS256', 'HS256'], keyFor, clock })).toEqual({ exp: 10 });
    expect(jwt.verify(rs, { algorithms: ['RS256', 'HS256'], keyFor, clock })).toEqual({ exp: 10 });
  });

  test('malformed tokens are refused with a TokenError', () => {
    for (const bad of ['', 'a.b', 'a.b.c.d', '!!!.e30.', `${'x'.repeat(9000)}`]) {
      expect(() => jwt.verify(bad, verifyOptions(createFakeClock(0)))).toThrow(jwt.TokenError);
    }
  });

  test('sessions carry user, tenant and role and expire after their ttl', () => {
    const clock = createFakeClock(1_700_000_000_000);
    const sessions = createSessions({ keyring, clock, issuer: 'datanexus-auth', ttlMs: 60_000 });
    const { token, expiresAt } = sessions.issue({ userId: 'u1', tenantId: 't1', role: 'admin' });
    expect(expiresAt).toBe(new Date(1_700_000_060_000).toISOString());
    expect(sessions.verify(token)).toMatchObject({ sub: 'u1', tid: 't1', role: 'admin', aud: 'datanexus' });
    clock.advance(60_000);
    expect(() => sessions.verify(token)).toThrow(expect.objectContaining({ code: 'AUTH_INVALID_TOKEN', statusCode: 401 }));
  });
});
