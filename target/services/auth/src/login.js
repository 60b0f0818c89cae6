'use strict';

const { hashPassword, verifyPassword } = require('./passwords');
const { authError } = require('./errors');

// Checked when the email is unknown, so an unknown email takes as long as a wrong password.
let placeholderHash;
function placeholder() {
  if (!placeholderHash) placeholderHash = hashPassword('placeholder-password', { salt: Buffer.alloc(16) });
  return placeholderHash;
}

/**
 * Email + password login to the console; answers a session token.
 * The same AUTH_INVALID_CREDENTIALS for an unknown email and a wrong password.
 */
async function login({ users, keys, sessions }, { email, password }) {
  const user = await users.findByEmail(email);
  const ok = verifyPassword(password, user ? user.password_hash : await placeholder());
  if (!user || !ok) throw authError('AUTH_INVALID_CREDENTIALS', 'invalid email or password');
  const status = await keys.tenantStatus(keys.db, user.tenant_id);
  if (status === 'suspended') throw authError('AUTH_TENANT_SUSPENDED', 'tenant is suspended');
  if (status === 'deleted') throw authError('AUTH_INVALID_CREDENTIALS', 'invalid email or password');
  return { ...sessions.issue({ userId: user.id, tenantId: user.tenant_id, role: user.role }), userId: user.id, tenantId: user.tenant_id, role: user.role };
}

module.exports = { login };
