'use strict';

// Retention: each tenant's rollups (every resolution) whose window started more than its
// retention ago are deleted. A tenant sets its retention in whole days; one that has not uses
// STORE_RETENTION_DAYS.

const SECONDS_PER_DAY = 24 * 60 * 60;

/** The instant before which windows kept for `days` are deleted, at `now` (ms). */
function cutoffFor(now, days) {
  return new Date(now - days * SECONDS_PER_DAY);
}

/**
 * @param {object} deps
 * @param {object} deps.postgres clients/postgres.js
 * @param {{ now(): number }} deps.clock
 * @param {number} deps.defaultDays
 */
function createRetention({ postgres, clock, defaultDays }) {
  const cutoff = (days) => cutoffFor(clock.now(), days);

  function describe(days, source) {
    return { days, seconds: days * SECONDS_PER_DAY, source, deletesBefore: cutoff(days).toISOString() };
  }

  /** `{ days, seconds, source: 'tenant'|'default', deletesBefore }` */
  async function get(tenantId) {
    const { rows } = await postgres.query('metrics', 'SELECT days FROM store_retention WHERE tenant_id = $1', [tenantId]);
    return rows.length ? describe(rows[0].days, 'tenant') : describe(defaultDays, 'default');
  }

  async function set(tenantId, days) {
    await postgres.query(
      'metrics',
      `INSERT INTO store_retention (tenant_id, days, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET days = EXCLUDED.days, updated_at = EXCLUDED.updated_at`,
      [tenantId, days, new Date(clock.now())],
    );
    return describe(days, 'tenant');
  }

  /** Deletes what every tenant's retention no longer covers; resolves with `{ deleted }` rows. */
  async function run() {
    let deleted = 0;
    const { rows: tenants } = await postgres.query('metrics', 'SELECT tenant_id, days FROM store_retention ORDER BY tenant_id');
    for (const { tenant_id: tenantId, days } of tenants) {
      const res = await postgres.query('metrics', 'DELETE FROM store_rollups WHERE tenant_id = $1 AND window_start < $2', [tenantId, cutoff(days)]);
      deleted += res.rowCount;
    }
    const rest = await postgres.query(
      'metrics',
      `DELETE FROM store_rollups r WHERE r.window_start < $1
         AND NOT EXISTS (SELECT 1 FROM store_retention t WHERE t.tenant_id = r.tenant_id)`,
      [cutoff(defaultDays)],
    );
    return { deleted: deleted + rest.rowCount };
  }

  return { get, set, run };
}

module.exports = { createRetention, cutoffFor };
