'use strict';

const { adminError } = require('./errors');
const { recordAudit } = require('./audit');
const { evaluateFlag } = require('./flags');

function toFlag(row, overrides = {}) {
  return { key: row.key, description: row.description, enabled: row.enabled, rolloutPercent: row.rollout_percent, overrides, updatedAt: row.updated_at.toISOString() };
}

function createFlagStore({ postgres, clock }) {
  async function load(key) {
    const { rows } = await postgres.query(
      'users',
      `SELECT f.key, f.description, f.enabled, f.rollout_percent, f.updated_at,
              coalesce(jsonb_object_agg(o.tenant_id, o.enabled) FILTER (WHERE o.tenant_id IS NOT NULL), '{}'::jsonb) AS overrides
         FROM feature_flags f LEFT JOIN flag_overrides o ON o.flag_key = f.key
        WHERE f.key = $1 GROUP BY f.key`,
      [key],
    );
    if (!rows[0]) throw adminError('ADMIN_FLAG_NOT_FOUND', `no flag ${key}`);
    return toFlag(rows[0], rows[0].overrides);
  }

  return {
    load,
    async list() {
      const { rows } = await postgres.query('users', 'SELECT key, description, enabled, rollout_percent, updated_at FROM feature_flags ORDER BY key');
      return rows.map((r) => toFlag(r));
    },
    async put(actor, key, { description = '', enabled, rolloutPercent = 0 }) {
      return postgres.withTransaction('users', async (tx) => {
        const now = clock.now();
        await tx.query(
          `INSERT INTO feature_flags (key, description, enabled, rollout_percent, updated_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (key) DO UPDATE SET description = EXCLUDED.description, enabled = EXCLUDED.enabled,
             rollout_percent = EXCLUDED.rollout_percent, updated_at = EXCLUDED.updated_at`,
          [key, description, enabled, rolloutPercent, new Date(now)],
        );
        await recordAudit(tx, { at: now, actor, action: 'flag.put', details: { key, enabled, rolloutPercent } });
      }).then(() => load(key));
    },
    async setOverride(actor, key, tenantId, enabled) {
      await load(key);
      await postgres.withTransaction('users', async (tx) => {
        await tx.query(
          `INSERT INTO flag_overrides (flag_key, tenant_id, enabled) VALUES ($1, $2, $3)
           ON CONFLICT (flag_key, tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled`,
          [key, tenantId, enabled],
        );
        await recordAudit(tx, { at: clock.now(), actor, action: 'flag.override', tenantId, details: { key, enabled } });
      });
      return load(key);
    },
    async evaluate(key, tenantId) {
      return { key, tenantId, ...evaluateFlag(await load(key), tenantId) };
    },
  };
}

module.exports = { createFlagStore };
