'use strict';

// Tenants' rollup definitions in the metrics database. Every routed record is matched against
// its tenant's definitions, so they are cached per tenant; a change through this store drops the
// tenant's entry, and an entry expires after `cacheMs` so another instance's changes are seen.

const { aggregateError } = require('../errors');

const COLUMNS = 'tenant_id, rollup_id, topic, event_name, field, group_by, window_kind, size_ms, advance_ms, gap_ms, allowed_lateness_ms, functions, bounds, created_at';

function toDefinition(row) {
  return Object.freeze({
    rollupId: row.rollup_id,
    topic: row.topic,
    eventName: row.event_name,
    field: row.field,
    groupBy: row.group_by,
    window: Object.freeze({
      kind: row.window_kind,
      sizeMs: row.size_ms,
      advanceMs: row.advance_ms,
      gapMs: row.gap_ms,
      allowedLatenessMs: row.allowed_lateness_ms,
    }),
    functions: row.functions,
    bounds: row.bounds || [],
    createdAt: row.created_at.toISOString(),
  });
}

/**
 * @param {object} deps
 * @param {object} deps.postgres clients/postgres (database `metrics`)
 * @param {{ now(): number }} deps.clock
 * @param {number} [deps.cacheMs]
 * @param {number} [deps.maxRollups] per tenant
 */
function createRollupStore({ postgres, clock, cacheMs = 5000, maxRollups = 100 }) {
  const cache = new Map(); // tenantId -> { expiresAt, rollups }
  const generations = new Map();
  let loads = 0;
  const query = (sql, params) => postgres.query('metrics', sql, params);

  function invalidate(tenantId) {
    generations.set(tenantId, (generations.get(tenantId) || 0) + 1);
    cache.delete(tenantId);
  }

  /** The tenant's definitions, from the cache when fresh. */
  async function forTenant(tenantId) {
    const hit = cache.get(tenantId);
    if (hit && hit.expiresAt > clock.now()) return hit.rollups;
    const generation = generations.get(tenantId) || 0;
    loads += 1;
    const { rows } = await query(`SELECT ${COLUMNS} FROM aggregate_rollups WHERE tenant_id = $1 ORDER BY rollup_id`, [tenantId]);
    const rollups = Object.freeze(rows.map(toDefinition));
    if ((generations.get(tenantId) || 0) === generation) cache.set(tenantId, { expiresAt: clock.now() + cacheMs, rollups });
    return rollups;
  }

  async function create(tenantId, def) {
    const w = def.window;
    const { rows } = await query(
      `INSERT INTO aggregate_rollups (${COLUMNS})
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
        WHERE (SELECT count(*) FROM aggregate_rollups WHERE tenant_id = $1) < $15
       ON CONFLICT (tenant_id, rollup_id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenantId, def.rollupId, def.topic, def.eventName, def.field, def.groupBy, w.kind, w.sizeMs, w.advanceMs, w.gapMs, w.allowedLatenessMs, def.functions, def.bounds.length ? def.bounds : null, new Date(clock.now()), maxRollups],
    );
    invalidate(tenantId);
    if (rows.length === 1) return toDefinition(rows[0]);
    const existing = await query('SELECT 1 FROM aggregate_rollups WHERE tenant_id = $1 AND rollup_id = $2', [tenantId, def.rollupId]);
    if (existing.rows.length) throw aggregateError('AGGREGATE_ROLLUP_EXISTS', `rollup ${def.rollupId} already exists`);
    throw aggregateError('AGGREGATE_LIMIT_EXCEEDED', `a tenant has at most ${maxRollups} rollups`);
  }

  async function get(tenantId, rollupId) {
    const { rows } = await query(`SELECT ${COLUMNS} FROM aggregate_rollups WHERE tenant_id = $1 AND rollup_id = $2`, [tenantId, rollupId]);
    if (rows.length === 0) throw aggregateError('AGGREGATE_ROLLUP_NOT_FOUND', `rollup ${rollupId} not found`);
    return toDefinition(rows[0]);
  }

  async function remove(tenantId, rollupId) {
    const { rowCount } = await query('DELETE FROM aggregate_rollups WHERE tenant_id = $1 AND rollup_id = $2', [tenantId, rollupId]);
    invalidate(tenantId);
    if (rowCount === 0) throw aggregateError('AGGREGATE_ROLLUP_NOT_FOUND', `rollup ${rollupId} not found`);
  }

  return { forTenant, create, get, list: forTenant, remove, invalidate, stats: () => ({ loads }) };
}

module.exports = { createRollupStore, toDefinition };
