'use strict';

const { generateKey, hashSecret } = require('./format');
const { verifyKey } = require('./verify');
const { rotateKey } = require('./rotate');
const { authError } = require('../errors');
const { atLeast, ROLES } = require('../permissions');

const NAME = /^[A-Za-z0-9 ._-]{1,64}$/;
const SCOPE = /^[a-z]+:[a-z]+$/;

/**
 * API keys of tenants: issue, list, rotate, revoke, verify.
 * @param {object} deps { postgres, repo, cache, clock, randomBytes? }
 */
function createKeyService(deps) {
  const { repo, cache, clock } = deps;

  return {
    verify: (key) => verifyKey(deps, key),

    /** `caller` is the authenticated principal; a key never gets a higher role than its creator. */
    async create(caller, { name, role = 'member', scopes = [] }) {
      if (typeof name !== 'string' || !NAME.test(name)) throw authError('AUTH_INVALID_REQUEST', 'key name must be 1-64 letters, digits, spaces, dots, dashes or underscores');
      if (!ROLES.includes(role)) throw authError('AUTH_INVALID_REQUEST', `role must be one of ${ROLES.join('/')}`);
      if (!atLeast(caller.role, role)) throw authError('AUTH_FORBIDDEN', `a ${caller.role} cannot issue a ${role} key`);
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))) {
        throw authError('AUTH_INVALID_REQUEST', 'scopes must be strings like "data:read"');
      }
      const status = await repo.tenantStatus(repo.db, caller.tenantId);
      if (status !== 'active') throw authError('AUTH_TENANT_SUSPENDED', `tenant is ${status}`);
      const fresh = generateKey(deps.randomBytes);
      const row = await repo.insert(
        repo.db,
        { id: fresh.keyId, tenantId: caller.tenantId, name, digest: hashSecret(fresh.secret), role, scopes, createdAt: clock.now() },
      );
      return { ...row, key: fresh.key };
    },

    list: (caller) => repo.list(caller.tenantId),

    rotate: (caller, keyId) => rotateKey(deps, { tenantId: caller.tenantId, keyId }),

    async revoke(caller, keyId) {
      const key = await repo.get(keyId);
      if (!key || key.tenantId !== caller.tenantId) throw authError('AUTH_KEY_NOT_FOUND', `no key ${keyId} in this tenant`);
      const revoked = await repo.revoke(repo.db, keyId, clock.now());
      if (!revoked) throw authError('AUTH_KEY_REVOKED', `key ${keyId} is already revoked`);
    },
  };
}

module.exports = { createKeyService };
