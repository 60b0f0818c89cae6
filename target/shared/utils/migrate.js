'use strict';

// Forward-only SQL migrations. Files are `<n>_<name>.sql`, applied in numeric order, each in its
// own transaction, and recorded with a checksum so an edited, already-applied file is refused
// instead of silently diverging from what the database holds.

const crypto = require('node:crypto');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { ERRORS, createError } = require('./errors');

const FILE_PATTERN = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$/;
const TABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks and orders migration file names. Unnumbered names and two files sharing a number are
 * refused: either would make the order depend on the file system.
 * @param {string[]} fileNames
 * @returns {string[]} the names, sorted
 */
function orderMigrations(fileNames) {
  const parsed = [];
  const byVersion = new Map();
  for (const file of fileNames) {
    const m = FILE_PATTERN.exec(file);
    if (!m) {
      throw createError(ERRORS.DN_MIGRATION_ORDER, `migration file "${file}" is not named <number>_<name>.sql`, {
        details: { file },
      });
    }
    const version = Number(m[1]);
    if (byVersion.has(version)) {
      throw createError(
        ERRORS.DN_MIGRATION_ORDER,
        `migration files "${byVersion.get(version)}" and "${file}" share the number ${version}`,
        { details: { version, files: [byVersion.get(version), file] } },
      );
    }
    byVersion.set(version, file);
    parsed.push({ version, file });
  }
  return parsed.map((p) => p.file).sort();
}

function checksum(sql) {
  return crypto.createHash('sha256').update(sql).digest('hex');
}

// A session-level advisory lock serialises concurrent runners (several replicas booting at once).
// The key is derived from the table name so independent migration sets do not block each other.
function lockKey(table) {
  return crypto.createHash('sha256').update(`datanexus:migrations:${table}`).digest().readBigInt64BE(0).toString();
}

async function listSqlFiles(dir) {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.sql')).map((e) => e.name);
}

/**
 * Applies the pending `.sql` files of `dir` to the database behind `pool`.
 * @param {{ connect(): Promise<object> }} pool a pg.Pool (e.g. `postgres.pool('pipeline')`)
 * @param {string} dir directory holding `<n>_<name>.sql` files
 * @param {{ table?: string, logger?: object }} [options]
 * @returns {Promise<string[]>} the file names applied by this call, in order
 */
async function runMigrations(pool, dir, options = {}) {
  const table = options.table ?? 'schema_migrations';
  const logger = options.logger;
  if (!TABLE_PATTERN.test(table)) {
    throw createError(ERRORS.DN_MIGRATION_TABLE_INVALID, `migration table "${table}" is not a plain identifier`, {
      details: { table },
    });
  }
  const files = orderMigrations(await listSqlFiles(dir));
  const quoted = `"${table}"`;

  const client = await pool.connect();
  let broken;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [lockKey(table)]);
    try {
      // Checked first so a database that is already up to date sees no DDL at all.
      const { rows: exists } = await client.query('SELECT to_regclass($1) AS oid', [table]);
      if (exists[0].oid === null) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${quoted} (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
      }
      const { rows } = await client.query(`SELECT name, checksum FROM ${quoted}`);
      const applied = new Map(rows.map((r) => [r.name, r.checksum]));

      const done = [];
      for (const file of files) {
        const sql = await fsp.readFile(path.join(dir, file), 'utf8');
        const sum = checksum(sql);
        if (applied.has(file)) {
          if (applied.get(file) !== sum) {
            throw createError(ERRORS.DN_MIGRATION_CHECKSUM, `migration "${file}" was changed after it was applied`, {
              details: { file, applied: applied.get(file), current: sum },
            });
          }
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query(`INSERT INTO ${quoted} (name, checksum) VALUES ($1, $2)`, [file, sum]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch((rollbackErr) => {
            broken = rollbackErr;
          });
          throw createError(ERRORS.DN_MIGRATION_FAILED, `migration "${file}" failed: ${err.message}`, {
            details: { file },
            cause: err,
          });
        }
        done.push(file);
        if (logger) logger.info('migration applied', { file });
      }
      return done;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey(table)]).catch((err) => {
        broken = err;
      });
    }
  } finally {
    // A connection whose rollback or unlock failed may still hold state; destroy it.
    client.release(broken);
  }
}

module.exports = { orderMigrations, runMigrations, checksum, FILE_PATTERN };
