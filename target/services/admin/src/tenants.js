'use strict';

const { adminError } = require('./errors');
const { recordAudit } = require('./audit');
const { enqueue } = require('./outbox');
const { tenantEvent } = require('./events');
const { purgeAfter, isPurgeDue } = require('./retention');
const { effectiveQuotas, QUOTA_NAMES } = require('./quotas');

const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;

function toTenant(row) {
  return {
    id: row.id,
    name: row.name,
    plan: row.plan,
    status: row.status,
    legalHold: row.legal_hold,
    createdAt: row.created_at.toISOString(),
    suspendedAt: row.suspended_at ? row.suspended_at.toISOString() : null,
    deletedAt: row.deleted_at ? row.deleted_at.toISOString() : null,
    purgeAfter: row.purge_after ? row.purge_after.toISOString() : null,
  };
}

const TENANT_COLUMNS = 't.id, t.name, t.plan, t.status, t.legal_hold, t.created_at, t.suspended_at, t.deleted_at, t.purge_after';

function encodeCursor(id) {
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

function decodeCursor(cursor) {
  const id = Buffer.from(String(cursor), 'base64url').toString('utf8');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw adminError('ADMIN_INVALID_REQUEST', 'cursor is invalid');
  return id;
}

/**
 * Tenant lifecycle. Every change writes the tenant row, an audit entry and (for lifecycle
 * changes) an outbox event in one transaction; `relay.flushQuietly()` then publishes.
 */
function createTenants({ postgres, clock, idFactory, relay }) {
  const evt = (type, tenantId, data) => tenantEvent(type, tenantId, data, { clock, idFactory });

  async function lockTenant(tx, id) {
    const { rows } = await tx.query(`SELECT ${TENANT_COLUMNS} FROM tenants t WHERE t.id = $1 FOR UPDATE`, [id]);
    if (!rows[0]) throw adminError('ADMIN_TENANT_NOT_FOUND', `no tenant ${id}`);
    return rows[0];
  }

  async function get(id) {
    const { rows } = await postgres.query('users', `SELECT ${TENANT_COLUMNS} FROM tenants t WHERE t.id = $1`, [id]);
    if (!rows[0]) throw adminError('ADMIN_TENANT_NOT_FOUND', `no tenant ${id}`);
    return toTenant(rows[0]);
  }

  async function change(fn) {
    const result = await postgres.withTransaction('users', fn);
    await relay.flushQuietly();
    return result;
  }

  return {
    async create(actor, { id, name, plan }) {
      return change(async (tx) => {
        const now = clock.now();
        const inserted = await tx.query(
          `INSERT INTO tenants (id, name, plan, status, created_at) VALUES ($1, $2, $3, 'active', $4)
           ON CONFLICT (id) DO NOTHING RETURNING *`,
          [id, name, plan, new Date(now)],
        );
        if (inserted.rowCount === 0) throw adminError('ADMIN_TENANT_EXISTS', `tenant ${id} exists`);
        await recordAudit(tx, { at: now, actor, action: 'tenant.create', tenantId: id, details: { name, plan } });
        await enqueue(tx, evt('tenant.created', id, { name, plan, actor }));
        return toTenant(inserted.rows[0]);
      });
    },

    get,

    /**
     * One page of tenants in id order, each with its total usage, in a single query.
     * @returns {Promise<{ items: object[], nextCursor: string | null }>}
     */
    async list({ limit = DEFAULT_PAGE, cursor, status } = {}) {
      const pageSize = Math.min(Math.max(1, Math.trunc(Number(limit)) || DEFAULT_PAGE), MAX_PAGE);
      const params = [];
      const where = [];
      if (cursor) {
        params.push(decodeCursor(cursor));
        where.push(`t.id > $${params.length}`);
      }
      if (status) {
        params.push(status);
        where.push(`t.status = $${params.length}`);
      }
      // One row more than the page tells whether another page follows.
      const { rows } = await postgres.query(
        'users',
        `SELECT ${TENANT_COLUMNS}, coalesce(u.used, 0)::bigint AS used
           FROM tenants t
           LEFT JOIN (SELECT tenant_id, sum(used) AS used FROM tenant_usage GROUP BY tenant_id) u ON u.tenant_id = t.id
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY t.id`,
        params,
      );
      const hasMore = rows.length > pageSize;
      if (hasMore) rows.pop();
      return {
        items: rows.map((r) => ({ ...toTenant(r), usageTotal: Number(r.used) })),
        nextCursor: hasMore ? encodeCursor(rows[rows.length - 1].id) : null,
      };
    },

    async suspend(actor, id, { reason }) {
      return change(async (tx) => {
        const row = await lockTenant(tx, id);
        if (row.status !== 'active') throw adminError('ADMIN_INVALID_TRANSITION', `tenant ${id} is ${row.status}, not active`);
        const now = clock.now();
        const { rows } = await tx.query(`UPDATE tenants SET status = 'suspended', suspended_at = $2 WHERE id = $1 RETURNING *`, [id, new Date(now)]);
        await recordAudit(tx, { at: now, actor, action: 'tenant.suspend', tenantId: id, details: { reason } });
        await enqueue(tx, evt('tenant.suspended', id, { reason, actor }));
        return toTenant(rows[0]);
      });
    },

    async reactivate(actor, id) {
      return change(async (tx) => {
        const row = await lockTenant(tx, id);
        if (row.status !== 'suspended') throw adminError('ADMIN_INVALID_TRANSITION', `tenant ${id} is ${row.status}, not suspended`);
        const now = clock.now();
        const { rows } = await tx.query(`UPDATE tenants SET status = 'active', suspended_at = NULL WHERE id = $1 RETURNING *`, [id]);
        await recordAudit(tx, { at: now, actor, action: 'tenant.reactivate', tenantId: id });
        await enqueue(tx, evt('tenant.reactivated', id, { actor }));
        return toTenant(rows[0]);
      });
    },

    /** Soft delete: the row stays until its retention has elapsed; keys and schedules stop now. */
    async remove(actor, id) {
      return change(async (tx) => {
        const row = await lockTenant(tx, id);
        if (row.status === 'deleted' || row.status === 'purged') throw adminError('ADMIN_INVALID_TRANSITION', `tenant ${id} is already ${row.status}`);
        const now = clock.now();
        const until = purgeAfter(now, row.plan);
        const { rows } = await tx.query(`UPDATE tenants SET status = 'deleted', deleted_at = $2, purge_after = $3 WHERE id = $1 RETURNING *`, [
          id,
          new Date(now),
          new Date(until),
        ]);
        await recordAudit(tx, { at: now, actor, action: 'tenant.delete', tenantId: id, details: { purgeAfter: new Date(until).toISOString() } });
        return toTenant(rows[0]);
      });
    },

    async setLegalHold(actor, id, hold) {
      return change(async (tx) => {
        await lockTenant(tx, id);
        const { rows } = await tx.query('UPDATE tenants SET legal_hold = $2 WHERE id = $1 RETURNING *', [id, hold]);
        await recordAudit(tx, { at: clock.now(), actor, action: hold ? 'tenant.hold' : 'tenant.release', tenantId: id });
        return toTenant(rows[0]);
      });
    },

    /** Purges every deleted tenant whose retention has elapsed; returns their ids. */
    async purgeDue(actor) {
      return change(async (tx) => {
        const now = clock.now();
        const { rows } = await tx.query(
          `SELECT ${TENANT_COLUMNS} FROM tenants t WHERE t.status = 'deleted' AND t.purge_after <= $1 ORDER BY t.id FOR UPDATE SKIP LOCKED`,
          [new Date(now)],
        );
        const due = rows.map(toTenant).filter((t) => isPurgeDue({ ...t, purgeAfter: Date.parse(t.purgeAfter) }, now));
        const ids = due.map((t) => t.id);
        if (ids.length) {
          await tx.query('DELETE FROM tenant_usage WHERE tenant_id = ANY($1)', [ids]);
          await tx.query('DELETE FROM tenant_quotas WHERE tenant_id = ANY($1)', [ids]);
          await tx.query('DELETE FROM flag_overrides WHERE tenant_id = ANY($1)', [ids]);
          await tx.query(`UPDATE tenants SET status = 'purged', name = '' WHERE id = ANY($1)`, [ids]);
          for (const id of ids) await recordAudit(tx, { at: now, actor, action: 'tenant.purge', tenantId: id });
        }
        return ids;
      });
    },

    async quotas(id) {
      const tenant = await get(id);
      const { rows } = await postgres.query(
        'users',
        `SELECT 'limit' AS kind, name, quota_limit AS value FROM tenant_quotas WHERE tenant_id = $1
         UNION ALL
         SELECT 'used' AS kind, name, used AS value FROM tenant_usage WHERE tenant_id = $1`,
        [id],
      );
      const overrides = {};
      const used = {};
      for (const r of rows) (r.kind === 'limit' ? overrides : used)[r.name] = Number(r.value);
      const limits = effectiveQuotas(tenant.plan, overrides);
      return QUOTA_NAMES.map((name) => ({ name, limit: limits[name], used: used[name] || 0, remaining: Math.max(0, limits[name] - (used[name] || 0)) }));
    },

    async setQuota(actor, id, name, limit) {
      return change(async (tx) => {
        await lockTenant(tx, id);
        await tx.query(
          `INSERT INTO tenant_quotas (tenant_id, name, quota_limit) VALUES ($1, $2, $3)
           ON CONFLICT (tenant_id, name) DO UPDATE SET quota_limit = EXCLUDED.quota_limit`,
          [id, name, limit],
        );
        await recordAudit(tx, { at: clock.now(), actor, action: 'quota.set', tenantId: id, details: { name, limit } });
        return { name, limit };
      });
    },

    /**
     * Adds `amount` to a usage counter if it stays within the limit: one conditional statement,
     * so concurrent consumers can never overshoot together.
     */
    async consume(id, name, amount) {
      const tenant = await get(id);
      if (tenant.status !== 'active') throw adminError('ADMIN_INVALID_TRANSITION', `tenant ${id} is ${tenant.status}`);
      const { rows: q } = await postgres.query('users', 'SELECT quota_limit FROM tenant_quotas WHERE tenant_id = $1 AND name = $2', [id, name]);
      const limit = q[0] ? Number(q[0].quota_limit) : effectiveQuotas(tenant.plan)[name];
      const { rows } = await postgres.query(
        'users',
        `INSERT INTO tenant_usage (tenant_id, name, used) SELECT $1, $2, $3 WHERE $3::bigint <= $4::bigint
         ON CONFLICT (tenant_id, name) DO UPDATE SET used = tenant_usage.used + EXCLUDED.used
          WHERE tenant_usage.used + EXCLUDED.used <= $4::bigint
         RETURNING used`,
        [id, name, amount, limit],
      );
      if (!rows[0]) throw adminError('ADMIN_QUOTA_EXCEEDED', `quota ${name} of ${id} is ${limit}`, { name, limit });
      const used = Number(rows[0].used);
      return { name, limit, used, remaining: limit - used };
    },
  };
}

module.exports = { createTenants, MAX_PAGE, DEFAULT_PAGE, encodeCursor, decodeCursor };
