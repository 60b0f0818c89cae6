'use strict';

// PostgreSQL access for the four DataNexus databases. Every call names its database; each
// database gets its own lazily created pool.

const { EventEmitter } = require('node:events');
const pg = require('pg');
const { createLogger } = require('../utils/logger');
const { ERRORS, createError } = require('../utils/errors');

const DATABASE_URL_KEYS = Object.freeze({
  pipeline: 'PIPELINE_DATABASE_URL',
  users: 'USERS_DATABASE_URL',
  metrics: 'METRICS_DATABSE_URL',
  billing: 'BILLING_DATABASE_URL',
});
const DATABASES = Object.freeze(Object.keys(DATABASE_URL_KEYS));

function emptyStats() {
  return { queries: 0, transactions: 0, connectionsOpened: 0, poolCreated: false };
}

/**
 * @param {object} config typed config (loadConfig) or any object with the *_DATABASE_URL keys
 * @param {{ logger?: object, poolOptions?: object }} [options] poolOptions go to every pg.Pool
 */
function createPostgres(config, options = {}) {
  const logger = options.logger ?? createLogger({ name: 'postgres', level: config.LOG_LEVEL });
  const poolOptions = { max: 10, idleTimeoutMillis: 10_000, ...options.poolOptions };
  const pools = new Map();
  const counters = Object.fromEntries(DATABASES.map((db) => [db, emptyStats()]));
  const emitter = new EventEmitter();
  let closed = false;

  function urlFor(db) {
    if (!Object.hasOwn(DATABASE_URL_KEYS, db)) {
      throw createError(ERRORS.DN_DB_UNKNOWN, `unknown database "${db}"; expected one of ${DATABASES.join('/')}`, {
        details: { db },
      });
    }
    const key = DATABASE_URL_KEYS[db];
    // Single-database installs configure only the pipeline database, which then holds every schema.
    const url = config[key] ?? config.PIPELINE_DATABASE_URL;
    if (!url) {
      throw createError(ERRORS.DN_DB_URL_MISSING, `database "${db}" has no URL: set ${key}`, { details: { db, key } });
    }
    return url;
  }

  /** The lazily created pg.Pool of `db`. */
  function pool(db) {
    if (closed) throw createError(ERRORS.DN_DB_CLOSED, `postgres client is closed (database "${db}")`);
    const url = urlFor(db);
    let p = pools.get(db);
    if (!p) {
      p = new pg.Pool({ connectionString: url, application_name: config.SERVICE_NAME, ...poolOptions });
      p.on('connect', () => {
        counters[db].connectionsOpened++;
      });
      // An idle client that loses its connection (server restart, network cut) is dropped by the
      // pool and reported here; the next query opens a fresh connection. Without a listener the
      // error would crash the process.
      p.on('error', (err) => {
        logger.warn('idle postgres connection lost', { db, err });
        emitter.emit('pool-error', { db, err });
      });
      counters[db].poolCreated = true;
      pools.set(db, p);
    }
    return p;
  }

  async function query(db, sql, params) {
    const p = pool(db);
    counters[db].queries++;
    return p.query(sql, params);
  }

  /**
   * Runs `fn(tx)` inside BEGIN/COMMIT on one connection; rolls back and rethrows on error.
   * `tx.query(sql, params)` counts like `query`; `tx.client` is the raw pg client.
   */
  async function withTransaction(db, fn) {
    const client = await pool(db).connect();
    counters[db].transactions++;
    const tx = {
      client,
      query(sql, params) {
        counters[db].queries++;
        return client.query(sql, params);
      },
    };
    let releaseErr;
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr) => {
        // The connection is unusable; make sure the pool destroys it instead of reusing it.
        releaseErr = rollbackErr;
      });
      throw err;
    } finally {
      client.release(releaseErr);
    }
  }

  function stats() {
    const out = {};
    for (const db of DATABASES) {
      const p = pools.get(db);
      out[db] = {
        ...counters[db],
        totalCount: p ? p.totalCount : 0,
        idleCount: p ? p.idleCount : 0,
        waitingCount: p ? p.waitingCount : 0,
      };
    }
    return out;
  }

  function resetStats() {
    for (const db of DATABASES) Object.assign(counters[db], emptyStats(), { poolCreated: pools.has(db) });
  }

  async function close() {
    closed = true;
    const ending = [...pools.values()].map((p) => p.end());
    pools.clear();
    await Promise.all(ending);
  }

  return Object.assign(emitter, { pool, query, withTransaction, stats, resetStats, close, urlFor, databases: DATABASES });
}

module.exports = { createPostgres, DATABASES, DATABASE_URL_KEYS };
