'use strict';

// Day partitions of store_rollups, created on demand. PostgreSQL routes each row to the partition
// whose range holds its window_start and refuses a row no partition holds, so the writer makes
// sure the day exists before it writes. Known days are remembered; a day is remembered only once
// its CREATE has committed, so a create lost with the connection is tried again next time.

const DAY_MS = 86_400_000;

function dayStart(ms) {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** `store_rollups_p20240501` for the day holding `ms` (UTC). */
function partitionName(ms) {
  return `store_rollups_p${new Date(dayStart(ms)).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * @param {object} deps
 * @param {object} deps.postgres clients/postgres.js
 */
function createPartitions({ postgres }) {
  const known = new Set();
  const creating = new Map();

  async function create(name, start) {
    const from = new Date(start).toISOString();
    const to = new Date(start + DAY_MS).toISOString();
    // Two instances may create the same day at once: the advisory lock makes the second wait and
    // then find the table, instead of failing on a duplicate catalog entry.
    await postgres.withTransaction('metrics', async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [name]);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF store_rollups FOR VALUES FROM ('${from}') TO ('${to}')`);
    });
    known.add(name);
  }

  /** Resolves once the partition holding `ms` exists. */
  function ensure(ms) {
    const name = partitionName(ms);
    if (known.has(name)) return Promise.resolve(name);
    if (!creating.has(name)) {
      const pending = create(name, dayStart(ms)).finally(() => creating.delete(name));
      creating.set(name, pending);
    }
    return creating.get(name).then(() => name);
  }

  /** Partitions that exist in the database, oldest first. */
  async function list() {
    const { rows } = await postgres.query(
      'metrics',
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'store_rollups' ORDER BY c.relname`,
    );
    return rows.map((r) => r.name);
  }

  return { ensure, list, forget: () => known.clear() };
}

module.exports = { createPartitions, partitionName, dayStart, DAY_MS };
