'use strict';

const { parseKey, hashSecret } = require('./format');
const { authError } = require('../errors');

// Compared against when the key id is unknown, so an unknown id costs the same work as a wrong
// secret and the two cannot be told apart by their answer or its timing.
const PLACEHOLDER_DIGEST = hashSecret('placeholder-for-unknown-key-ids');

/** Compares two SHA-256 digests. */
function digestsMatch(presented, stored) {
  return presented.toString('hex') === stored.toString('hex');
}

function invalidKey() {
  return authError('AUTH_INVALID_KEY', 'invalid API key');
}

function principalOf(row) {
  return { tenantId: row.tenant_id, keyId: row.id, role: row.role, scopes: row.scopes };
}

/**
 * Checks a presented API key. Every failure that concerns the key itself is the same
 * AUTH_INVALID_KEY, whether the id is unknown, the secret wrong or the key revoked.
 * @returns {Promise<{ tenantId: string, keyId: string, role: string, scopes: string[] }>}
 */
async function verifyKey({ repo, cache }, presentedKey) {
  const parsed = parseKey(presentedKey);
  if (!parsed) throw invalidKey();
  const digest = hashSecret(parsed.secret);

  const cached = cache.get(parsed.keyId);
  if (cached) {
    if (!digestsMatch(digest, cached.digest)) throw invalidKey();
    return cached.principal;
  }

  const row = await repo.findForVerify(parsed.keyId);
  const matches = digestsMatch(digest, row ? row.secret_digest : PLACEHOLDER_DIGEST);
  if (!row || !matches || row.revoked_at || row.tenant_status === 'deleted') throw invalidKey();
  if (row.tenant_status === 'suspended') throw authError('AUTH_TENANT_SUSPENDED', 'tenant is suspended');
  const principal = principalOf(row);
  cache.set(parsed.keyId, { digest: row.secret_digest, principal });
  return principal;
}

module.exports = { verifyKey, digestsMatch, PLACEHOLDER_DIGEST };
