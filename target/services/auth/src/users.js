'use strict';

const crypto = require('node:crypto');
const { hashPassword } = require('./passwords');
const { authError } = require('./errors');
const { atLeast, TENANT_ROLES } = require('./permissions');

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

function toUser(row) {
  return { id: row.id, tenantId: row.tenant_id, email: row.email, role: row.role, createdAt: row.created_at.toISOString() };
}

function createUsers({ postgres, clock, idFactory = () => crypto.randomUUID(), passwordOptions }) {
  const q = (sql, params) => postgres.query('users', sql, params);
  return {
    async findByEmail(email) {
      if (typeof email !== 'string') return null;
      const { rows } = await q('SELECT id, tenant_id, email, password_hash, role, created_at FROM users WHERE email = lower($1)', [email]);
      return rows[0] || null;
    },
    async get(id) {
      const { rows } = await q('SELECT id, tenant_id, email, role, created_at FROM users WHERE id = $1', [id]);
      return rows[0] ? toUser(rows[0]) : null;
    },
    /** A tenant admin adds a user to their own tenant, with a role no higher than theirs. */
    async create(caller, { email, password, role = 'member' }) {
      if (typeof email !== 'string' || !EMAIL.test(email)) throw authError('AUTH_INVALID_REQUEST', 'email is not an address');
      if (!TENANT_ROLES.includes(role)) throw authError('AUTH_INVALID_REQUEST', `role must be one of ${TENANT_ROLES.join('/')}`);
      if (!atLeast(caller.role, role)) throw authError('AUTH_FORBIDDEN', `a ${caller.role} cannot create a ${role}`);
      const hash = await hashPassword(password, passwordOptions);
      try {
        const { rows } = await q(
          `INSERT INTO users (id, tenant_id, email, password_hash, role, created_at)
           VALUES ($1, $2, lower($3), $4, $5, $6) RETURNING id, tenant_id, email, role, created_at`,
          [idFactory(), caller.tenantId, email, hash, role, new Date(clock.now())],
        );
        return toUser(rows[0]);
      } catch (err) {
        if (err.code === '23505') throw authError('AUTH_CONFLICT', 'a user with this email exists');
        throw err;
      }
    },
  };
}

module.exports = { createUsers };
