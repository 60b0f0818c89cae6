'use strict';

const { generateKey, hashSecret } = require('./format');
const { authError } = require('../errors');

/**
 * Replaces a key by a new one with the same name, role and scopes. The new key is inserted and
 * the old one revoked in one transaction that holds the old row's lock: a failure leaves the old
 * key working, and two concurrent rotations of the same key cannot both succeed.
 * @returns {Promise<object>} the new key row plus its plaintext `key` (shown once)
 */
async function rotateKey({ postgres, repo, cache, clock, randomBytes }, { tenantId, keyId }) {
  const fresh = generateKey(randomBytes);
  const created = await postgres.withTransaction('users', async (tx) => {
    const old = await repo.lockForUpdate(tx, keyId);
    if (!old || old.tenantId !== tenantId) throw authError('AUTH_KEY_NOT_FOUND', `no key ${keyId} in this tenant`);
    if (old.revokedAt) throw authError('AUTH_KEY_REVOKED', `key ${keyId} is already revoked`);
    const now = clock.now();
    const inserted = await repo.insert(tx, {
      id: fresh.keyId,
      tenantId,
      name: old.name,
      digest: hashSecret(fresh.secret),
      role: old.role,
      scopes: old.scopes,
      createdAt: now,
      rotatedFrom: old.id,
    });
    await repo.revoke(tx, old.id, now);
    return inserted;
  });
  cache.purge(keyId);
  return { ...created, key: fresh.key };
}

module.exports = { rotateKey };
