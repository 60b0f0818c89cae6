'use strict';

// Enrichment values per tenant (plan tier, region, ...), read from `transform_enrichment` and
// served from memory for `ttlMs` on the clock. Concurrent lookups of a tenant whose values are
// not cached share one query; a write through `set` drops the tenant's cached values.

const DB = 'pipeline';

function createEnrichment({ postgres, clock, ttlMs }) {
  const cache = new Map(); // tenantId -> { values, expiresAt } | { pending }
  const generations = new Map(); // tenantId -> writes seen, so a load that raced a write is not cached

  async function load(tenantId) {
    const { rows } = await postgres.query(DB, 'SELECT field, value FROM transform_enrichment WHERE tenant_id = $1', [tenantId]);
    return new Map(rows.map((row) => [row.field, row.value]));
  }

  function valuesOf(tenantId) {
    const hit = cache.get(tenantId);
    if (hit && hit.pending) return hit.pending;
    if (hit && clock.now() < hit.expiresAt) return Promise.resolve(hit.values);
    const generation = generations.get(tenantId) || 0;
    const pending = load(tenantId).then(
      (values) => {
        if ((generations.get(tenantId) || 0) === generation) cache.set(tenantId, { values, expiresAt: clock.now() + ttlMs });
        else cache.delete(tenantId);
        return values;
      },
      (err) => {
        cache.delete(tenantId);
        throw err;
      },
    );
    cache.set(tenantId, { pending });
    return pending;
  }

  /** `{ field: value }` for the fields the tenant has; undefined when no field is asked for. */
  async function lookup(tenantId, fields) {
    if (!fields || fields.length === 0) return undefined;
    const values = await valuesOf(tenantId);
    const out = {};
    for (const field of fields) if (values.has(field)) out[field] = values.get(field);
    return out;
  }

  async function set(tenantId, field, value) {
    await postgres.query(
      DB,
      `INSERT INTO transform_enrichment (tenant_id, field, value, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, field) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [tenantId, field, JSON.stringify(value), new Date(clock.now())],
    );
    generations.set(tenantId, (generations.get(tenantId) || 0) + 1);
    cache.delete(tenantId);
  }

  return { lookup, set };
}

module.exports = { createEnrichment };
