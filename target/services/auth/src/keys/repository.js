'use strict';

// SQL for api_keys and tenant_states (database `users`). Functions that take `db` accept either
// the postgres client (`{ query(db, sql, params) }` bound below) or a transaction (`tx.query`).

const KEY_COLUMNS = 'k.id, k.tenant_id, k.name, k.role, k.scopes, k.created_at, k.revoked_at, k.rotated_from';

function toKey(row) {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    role: row.role,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at ? row.revoked_at.toISOString() : null,
    rotatedFrom: row.rotated_from,
  };
}

function createKeyRepository(postgres) {
  const q = (sql, params) => postgres.query('users', sql, params);
  return {
    /** Autocommit access with the same `query(sql, params)` shape as a transaction. */
    db: { query: q },
    /** One query: the key, its digest and its tenant's status. */
    async findForVerify(keyId) {
      const { rows } = await q(
        `SELECT ${KEY_COLUMNS}, k.secret_digest, coalesce(t.status, 'active') AS tenant_status
           FROM api_keys k LEFT JOIN tenant_states t ON t.tenant_id = k.tenant_id
          WHERE k.id = $1`,
        [keyId],
      );
      return rows[0] || null;
    },
    async insert(db, { id, tenantId, name, digest, role, scopes, createdAt, rotatedFrom = null }) {
      const { rows } = await db.query(
        `INSERT INTO api_keys (id, tenant_id, name, secret_digest, role, scopes, created_at, rotated_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, tenant_id, name, role, scopes, created_at, revoked_at, rotated_from`,
        [id, tenantId, name, digest, role, scopes, new Date(createdAt), rotatedFrom],
      );
      return toKey(rows[0]);
    },
    /** Locks the key row for the rest of the transaction. */
    async lockForUpdate(db, keyId) {
      const { rows } = await db.query(`SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.id = $1 FOR UPDATE`, [keyId]);
      return rows[0] ? toKey(rows[0]) : null;
    },
    async revoke(db, keyId, at) {
      const { rowCount } = await db.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [keyId, new Date(at)]);
      return rowCount === 1;
    },
    async revokeTenant(db, tenantId, at) {
      const { rows } = await db.query('UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING id', [tenantId, new Date(at)]);
      return rows.map((r) => r.id);
    },
    async get(keyId) {
      const { rows } = await q(`SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.id = $1`, [keyId]);
      return rows[0] ? toKey(rows[0]) : null;
    },
    async list(tenantId) {
      const { rows } = await q(`SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.tenant_id = $1 ORDER BY k.created_at, k.id`, [tenantId]);
      return rows.map(toKey);
    },
    async tenantStatus(db, tenantId) {
      const { rows } = await db.query('SELECT status FROM tenant_states WHERE tenant_id = $1', [tenantId]);
      return rows[0] ? rows[0].status : 'active';
    },
    async setTenantStatus(db, tenantId, status, at) {
      // Events can arrive out of order; a deleted tenant never comes back to life.
      await db.query(
        `INSERT INTO tenant_states (tenant_id, status, changed_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at
          WHERE tenant_states.status <> 'deleted' AND tenant_states.changed_at <= EXCLUDED.changed_at`,
        [tenantId, status, new Date(at)],
      );
    },
  };
}

module.exports = { createKeyRepository, toKey };
