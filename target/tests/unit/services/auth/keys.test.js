'use strict';

const crypto = require('node:crypto');
const { generateKey, parseKey, hashSecret, KEY_PATTERN } = require('../../../../services/auth/src/keys/format');
const { createKeyCache } = require('../../../../services/auth/src/keys/cache');
const { verifyKey } = require('../../../../services/auth/src/keys/verify');
const { KEY_SHAPE } = require('../../../../services/gateway/src/auth');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');

function prngBytes(seed) {
  const prng = createPrng(seed);
  return (n) => Buffer.from(Array.from({ length: n }, () => prng.int(0, 255)));
}

function stubRepo(rows) {
  return { findForVerify: jest.fn(async (id) => rows[id] || null) };
}

function rowFor(key, extra = {}) {
  const { keyId, secret } = parseKey(key);
  return { id: keyId, tenant_id: 't1', role: 'member', scopes: [], secret_digest: hashSecret(secret), revoked_at: null, tenant_status: 'active', ...extra };
}

describe('api key format', () => {
  test('generated keys parse back and match the shape the gateway accepts', () => {
    const { keyId, secret, key } = generateKey(prngBytes(1));
    expect(key).toMatch(KEY_PATTERN);
    expect(key).toMatch(KEY_SHAPE);
    expect(parseKey(key)).toEqual({ keyId, secret });
  });

  test('key ids and secrets are independent across calls', () => {
    const random = prngBytes(2);
    const a = generateKey(random);
    const b = generateKey(random);
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.secret).not.toBe(b.secret);
  });

  test('anything that is not a key does not parse', () => {
    for (const bad of [null, 42, '', 'dnk_short_x', 'dnk_ABCDEFGHIJKLMNOP_', `xyz_ABCDEFGHIJKLMNOP_${'a'.repeat(43)}`]) expect(parseKey(bad)).toBeNull();
  });

  test('the stored form of a secret is its 32-byte SHA-256 digest', () => {
    expect(hashSecret('s')).toEqual(crypto.createHash('sha256').update('s').digest());
    expect(hashSecret('s')).toHaveLength(32);
  });
});

describe('key verification cache', () => {
  test('entries expire after the ttl', () => {
    const clock = createFakeClock(0);
    const cache = createKeyCache({ clock, ttlMs: 1000 });
    cache.set('k1', { digest: Buffer.alloc(32), principal: { tenantId: 't1' } });
    clock.advance(999);
    expect(cache.get('k1')).not.toBeNull();
    clock.advance(1);
    expect(cache.get('k1')).toBeNull();
  });

  test('purge and purgeTenant drop entries at once', () => {
    const cache = createKeyCache({ clock: createFakeClock(0), ttlMs: 1000 });
    cache.set('k1', { digest: Buffer.alloc(32), principal: { tenantId: 't1' } });
    cache.set('k2', { digest: Buffer.alloc(32), principal: { tenantId: 't1' } });
    cache.set('k3', { digest: Buffer.alloc(32), principal: { tenantId: 't2' } });
    cache.purge('k3');
    expect(cache.get('k3')).toBeNull();
    cache.purgeTenant('t1');
    expect(cache.stats().size).toBe(0);
  });

  test('the cache is bounded', () => {
    const cache = createKeyCache({ clock: createFakeClock(0), ttlMs: 1000, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) cache.set(id, { digest: Buffer.alloc(32), principal: { tenantId: 't' } });
    expect(cache.stats().size).toBe(2);
    expect(cache.get('a')).toBeNull();
  });
});

describe('verifyKey', () => {
  const { key } = generateKey(prngBytes(3));

  test('a valid key yields its principal and is cached', async () => {
    const repo = stubRepo({ [parseKey(key).keyId]: rowFor(key) });
    const cache = createKeyCache({ clock: createFakeClock(0), ttlMs: 1000 });
    await expect(verifyKey({ repo, cache }, key)).resolves.toEqual({ tenantId: 't1', keyId: parseKey(key).keyId, role: 'member', scopes: [] });
    await verifyKey({ repo, cache }, key);
    expect(repo.findForVerify).toHaveBeenCalledTimes(1);
  });

  test('a cached entry still checks the presented secret', async () => {
    const repo = stubRepo({ [parseKey(key).keyId]: rowFor(key) });
    const cache = createKeyCache({ clock: createFakeClock(0), ttlMs: 1000 });
    await verifyKey({ repo, cache }, key);
    const wrong = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    await expect(verifyKey({ repo, cache }, wrong)).rejects.toMatchObject({ code: 'AUTH_INVALID_KEY' });
  });

  test('revoked keys and deleted tenants are invalid, suspended tenants forbidden', async () => {
    const cache = () => createKeyCache({ clock: createFakeClock(0), ttlMs: 1000 });
    const id = parseKey(key).keyId;
    await expect(verifyKey({ repo: stubRepo({ [id]: rowFor(key, { revoked_at: new Date(0) }) }), cache: cache() }, key)).rejects.toMatchObject({ code: 'AUTH_INVALID_KEY' });
    await expect(verifyKey({ repo: stubRepo({ [id]: rowFor(key, { tenant_status: 'deleted' }) }), cache: cache() }, key)).rejects.toMatchObject({ code: 'AUTH_INVALID_KEY' });
    await expect(verifyKey({ repo: stubRepo({ [id]: rowFor(key, { tenant_status: 'suspended' }) }), cache: cache() }, key)).rejects.toMatchObject({ code: 'AUTH_TENANT_SUSPENDED', statusCode: 403 });
  });

  test('malformed keys are refused without a lookup', async () => {
    const repo = stubRepo({});
    await expect(verifyKey({ repo, cache: createKeyCache({ clock: createFakeClock(0) }) }, 'nope')).rejects.toMatchObject({ code: 'AUTH_INVALID_KEY' });
    expect(repo.findForVerify).not.toHaveBeenCalled();
  });
});
