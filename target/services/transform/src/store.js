'use strict';

// Versioned mapping configs and UDFs in the `pipeline` database. Every put inserts version n+1 of
// (tenant, name) under a transaction-scoped advisory lock on that pair, so two concurrent puts get
// two consecutive versions instead of a primary-key conflict.

const DB = 'pipeline';

function toRow(row, valueKey) {
  return {
    name: row.name,
    version: row.version,
    [valueKey]: row[valueKey],
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function versionedTable(postgres, clock, table, valueKey) {
  async function put(tenantId, name, value) {
    return postgres.withTransaction(DB, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [`${table}:${tenantId}`, name]);
      const { rows } = await tx.query(
        `INSERT INTO ${table} (tenant_id, name, version, ${valueKey}, created_at)
         SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4 FROM ${table} WHERE tenant_id = $1 AND name = $2
         RETURNING name, version, ${valueKey}, created_at`,
        [tenantId, name, valueKey === 'config' ? JSON.stringify(value) : value, new Date(clock.now())],
      );
      return toRow(rows[0], valueKey);
    });
  }

  /** The latest version, or the given one; undefined when there is none. */
  async function get(tenantId, name, version) {
    const { rows } = version === undefined
      ? await postgres.query(DB, `SELECT name, version, ${valueKey}, created_at FROM ${table} WHERE tenant_id = $1 AND name = $2 ORDER BY version DESC LIMIT 1`, [tenantId, name])
      : await postgres.query(DB, `SELECT name, version, ${valueKey}, created_at FROM ${table} WHERE tenant_id = $1 AND name = $2 AND version = $3`, [tenantId, name, version]);
    return rows.length ? toRow(rows[0], valueKey) : undefined;
  }

  return { put, get };
}

function createStore({ postgres, clock }) {
  return {
    mappings: versionedTable(postgres, clock, 'transform_mappings', 'config'),
    udfs: versionedTable(postgres, clock, 'transform_udfs', 'source'),
  };
}

module.exports = { createStore };
