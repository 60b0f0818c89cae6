'use strict';

const { generateKey, hashSecret } = require('./format');
const { authError } = require('../errors');

/**
 * Replaces a key by a new one with the same name, role and scopes, and revokes the old one.
 * @returns {Promise<object>} the new key row plus its plaintext `key` (shown once)
 */
async function rotateKey({ repo, cache, clock, randomBytes }, { tenantId, keyId }) {
  const old = await repo.get(keyId);
  if (!old || old.tenantId !== tenantId) throw authError('AUTH_KEY_NOT_FOUND', `no key ${keyId} in this tenant`);
  if (old.revokedAt) throw authError('AUTH_KEY_REVOKED', `key ${keyId} is already revoked`);
  const now = clock.now();
  await repo.revoke(repo.db, old.id, now);
  const fresh = generateKey(randomBytes);
  const created = await repo.insert(repo.db, {
    id: fresh.keyId,
    tenantId,
    name: old.name,
    digest: hashSecret(fresh.secret),
    role: old.role,
    scopes: old.scopes,
    createdAt: now,
    rotatedFrom: old.id,
  });
  cache.purge(keyId);
  return { ...created, key: fresh.key };
}

module.exports = { rotateKey };
