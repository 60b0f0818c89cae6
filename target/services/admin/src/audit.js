'use strict';

// The audit log: who did what to which tenant, written in the same transaction as the change.

async function recordAudit(tx, { at, actor, action, tenantId = null, details = {} }) {
  await tx.query('INSERT INTO admin_audit_log (at, actor, action, tenant_id, details) VALUES ($1, $2, $3, $4, $5)', [
    new Date(at),
    actor,
    action,
    tenantId,
    JSON.stringify(details),
  ]);
}

/** Newest first, keyset-paginated on the id. */
async function listAudit(postgres, { tenantId, limit, before }) {
  const params = [limit + 1];
  const where = [];
  if (tenantId) {
    params.push(tenantId);
    where.push(`tenant_id = $${params.length}`);
  }
  if (before) {
    params.push(before);
    where.push(`id < $${params.length}`);
  }
  const { rows } = await postgres.query(
    'users',
    `SELECT id, at, actor, action, tenant_id, details FROM admin_audit_log
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $1`,
    params,
  );
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({ id: Number(r.id), at: r.at.toISOString(), actor: r.actor, action: r.action, tenantId: r.tenant_id, details: r.details })),
    nextBefore: rows.length > limit ? Number(page[page.length - 1].id) : null,
  };
}

module.exports = { recordAudit, listAudit };
