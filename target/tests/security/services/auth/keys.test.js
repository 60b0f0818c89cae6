'use strict';

const crypto = require('node:crypto');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders, INTERNAL_TOKEN } = require('../../../support/http');
const { hashSecret, parseKey } = require('../../../../services/auth/src/keys/format');

// Every call to the platform's constant-time comparison, recorded from before the service code is
// loaded, so it is seen however that code reaches it (`crypto.timingSafeEqual`, a destructured
// `timingSafeEqual`, `require('crypto')` or `require('node:crypto')`).
const timingSafeCalls = jest.spyOn(crypto, 'timingSafeEqual');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let auth;

beforeAll(async () => {
  auth = await bootService('auth', { ns, clock: createFakeClock(1_700_000_000_000) });
});
ns.cleanup(async () => {
  await auth.close();
  timingSafeCalls.mockRestore();
});

/** The constant-time comparisons made while `request` runs, after checking its status. */
async function constantTimeComparisonsDuring(request, status) {
  timingSafeCalls.mockClear();
  const res = await request();
  expect(res.statusCode).toBe(status);
  return timingSafeCalls.mock.calls.map(([a, b]) => [Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)]);
}

/** Whether `bytes` is the digest itself or its hex or base64 text. */
function encodesDigest(bytes, digest) {
  return bytes.equals(digest) || [digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')].includes(bytes.toString('latin1'));
}

const verify = (key) => call(auth.app, { method: 'POST', url: '/v1/keys/verify', headers: { 'x-internal-token': INTERNAL_TOKEN }, payload: { key } });
async function issue(headers, body = { name: 'k' }) {
  return call(auth.app, { method: 'POST', url: '/v1/keys', headers, payload: body });
}

describe('api key secrecy', () => {
  test('the database holds only the SHA-256 digest of a key, never the key or its secret', async () => {
    const { key, id } = (await issue(internalHeaders({ role: 'admin' }))).json();
    const { secret } = parseKey(key);
    const { rows } = await auth.postgres.query('users', 'SELECT to_jsonb(k) AS row, secret_digest FROM api_keys k WHERE id = $1', [id]);
    expect(rows[0].secret_digest).toEqual(hashSecret(secret));
    expect(JSON.stringify(rows[0].row)).not.toContain(secret);
  });

  test('verification compares digests with crypto.timingSafeEqual', async () => {
    const { key } = (await issue(internalHeaders({ role: 'admin' }))).json();
    const digest = hashSecret(parseKey(key).secret);
    const comparisons = await constantTimeComparisonsDuring(() => verify(key), 200);
    expect(comparisons.filter(([a, b]) => encodesDigest(a, digest) && encodesDigest(b, digest))).toHaveLength(1);
  });

  test('a key served from the verification cache is compared in constant time too', async () => {
    const { key } = (await issue(internalHeaders({ role: 'admin' }))).json();
    const digest = hashSecret(parseKey(key).secret);
    expect((await verify(key)).statusCode).toBe(200); // fills the cache
    const comparisons = await constantTimeComparisonsDuring(() => verify(key), 200);
    expect(comparisons.filter(([a, b]) => encodesDigest(a, digest) && encodesDigest(b, digest))).toHaveLength(1);
  });

  test('a wrong secret and an unknown key id each cost one constant-time digest comparison', async () => {
    const { key } = (await issue(internalHeaders({ role: 'admin' }))).json();
    const { keyId } = parseKey(key);
    for (const presented of [`dnk_${keyId}_${'y'.repeat(43)}`, `dnk_${'R'.repeat(16)}_${'y'.repeat(43)}`]) {
      const digest = hashSecret(parseKey(presented).secret);
      const comparisons = await constantTimeComparisonsDuring(() => verify(presented), 401);
      expect(comparisons.filter(([a, b]) => encodesDigest(a, digest) || encodesDigest(b, digest))).toHaveLength(1);
    }
  });

  test('an unknown key id and a wrong secret answer exactly alike', async () => {
    const { key } = (await issue(internalHeaders({ role: 'admin' }))).json();
    const { keyId } = parseKey(key);
    const wrongSecret = await verify(`dnk_${keyId}_${'x'.repeat(43)}`);
    const unknownId = await verify(`dnk_${'Q'.repeat(16)}_${'x'.repeat(43)}`);
    expect(wrongSecret.statusCode).toBe(401);
    expect(unknownId.statusCode).toBe(401);
    const strip = (r) => ({ ...r.json(), requestId: undefined });
    expect(strip(wrongSecret)).toEqual(strip(unknownId));
  });

  test('the verify endpoint is closed to callers without the internal token', async () => {
    const { key } = (await issue(internalHeaders({ role: 'admin' }))).json();
    const res = await call(auth.app, { method: 'POST', url: '/v1/keys/verify', payload: { key } });
    expect(res.statusCode).toBe(401);
  });
});

describe('api key authorization', () => {
  test('identity headers without the internal token are not trusted', async () => {
    const headers = internalHeaders({ role: 'owner' });
    delete headers['x-internal-token'];
    expect((await issue(headers)).statusCode).toBe(401);
    expect((await issue({ ...headers, 'x-internal-token': 'guess' })).statusCode).toBe(401);
  });

  test.each([
    ['a member issuing any key', 'member', 'viewer', 403],
    ['an admin issuing an owner key', 'admin', 'owner', 403],
    ['an owner issuing a platform-admin key', 'owner', 'platform-admin', 403],
    ['an admin issuing a member key', 'admin', 'member', 201],
  ])('%s', async (name, callerRole, keyRole, status) => {
    const res = await issue(internalHeaders({ role: callerRole }), { name: 'k', role: keyRole });
    expect(res.statusCode).toBe(status);
  });
});
