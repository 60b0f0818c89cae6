'use strict';

// Idempotent consumers. Brokers deliver at least once: a redelivery after a lost ack, a retried
// publish or a replay from the dead queue all hand the same event over again. The wrapper records
// each processed event id in a store and acks a repeat without running the handler.
//
// Two stores:
// - Redis: a lease (`SET NX PX`) while the handler runs, then a `done` marker that expires after
//   `ttlMs`. A repeat that arrives while the first delivery is still running fails with a retryable
//   error instead of being acked, because that first delivery may still fail (or its process die).
// - PostgreSQL: the id is inserted into `processed_messages` in the same transaction as the
//   handler's own writes, so the record and the effects commit or roll back together.

const crypto = require('node:crypto');
const { systemClock } = require('../utils/clock');
const { eventError } = require('./errors');

const DAY_MS = 24 * 60 * 60 * 1000;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function defaultKey(event, msg) {
  if (event && typeof event.id === 'string' && event.id !== '') return event.id;
  if (msg && msg.properties && msg.properties.messageId) return msg.properties.messageId;
  return undefined;
}

/**
 * Wraps a consumer handler so each message id is processed once.
 * @param {Function} handler `(event, msg, ctx) => Promise`; ctx gains `tx` with the PostgreSQL store
 * @param {object} options
 * @param {{ run(id: string, fn: Function, opts: { ttlMs: number }): Promise<{ duplicate: boolean, result?: unknown }> }} options.store
 * @param {number} [options.ttlMs] how long a processed id is remembered (default one day)
 * @param {(event, msg) => string|undefined} [options.keyOf] the id to deduplicate on (default: event.id)
 * @param {(id: string, event, msg) => void} [options.onDuplicate]
 */
function idempotent(handler, { store, ttlMs = DAY_MS, keyOf = defaultKey, onDuplicate } = {}) {
  if (!store || typeof store.run !== 'function') {
    throw eventError('DN_EVENTS_OPTIONS_INVALID', 'idempotent() needs a store with run(id, fn, { ttlMs })');
  }
  return async function idempotentHandler(event, msg, ctx = {}) {
    const id = keyOf(event, msg);
    if (id === undefined || id === null || id === '') {
      const err = eventError('DN_EVENTS_ID_MISSING', 'message has neither an event id nor an AMQP messageId to deduplicate on');
      err.retryable = false;
      throw err;
    }
    const outcome = await store.run(String(id), (storeCtx) => handler(event, msg, { ...ctx, ...storeCtx }), { ttlMs });
    if (outcome.duplicate && onDuplicate) onDuplicate(String(id), event, msg);
    return outcome.result;
  };
}

// Deletes the lease only while it is still ours: after a lease expired, another delivery may
// hold the key.
const RELEASE_LEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/**
 * @param {object} options
 * @param {import('ioredis').Redis} options.redis keys go through the client's keyPrefix
 * @param {string} options.namespace key prefix for this consumer, e.g. `idem:alerts`
 * @param {number} [options.leaseMs] how long a running handler holds the id (default 60 s)
 * @param {() => string} [options.tokenFactory]
 */
function createRedisIdempotencyStore({ redis, namespace, leaseMs = 60_000, tokenFactory = () => crypto.randomUUID() }) {
  if (!redis || typeof namespace !== 'string' || namespace === '') {
    throw eventError('DN_EVENTS_OPTIONS_INVALID', 'createRedisIdempotencyStore needs { redis, namespace }');
  }
  const keyOf = (id) => `${namespace}:${id}`;

  async function run(id, fn, { ttlMs = DAY_MS } = {}) {
    const key = keyOf(id);
    const token = `pending:${tokenFactory()}`;
    const claimed = await redis.set(key, token, 'PX', leaseMs, 'NX');
    if (claimed !== 'OK') {
      const state = await redis.get(key);
      if (state === 'done') return { duplicate: true };
      // Either still running elsewhere, or the lease lapsed between SET and GET: both are
      // resolved by trying the delivery again later.
      const err = eventError('DN_EVENTS_IN_PROGRESS', `message ${id} is being processed by another delivery`, { details: { id } });
      err.retryable = true;
      throw err;
    }
    let result;
    try {
      result = await fn({});
    } catch (err) {
      await redis.eval(RELEASE_LEASE, 1, key, token).catch(() => {});
      throw err;
    }
    await redis.set(key, 'done', 'PX', ttlMs);
    return { duplicate: false, result };
  }

  async function has(id) {
    return (await redis.get(keyOf(id))) === 'done';
  }

  return { run, has };
}

/**
 * @param {object} options
 * @param {import('pg').Pool} options.pool
 * @param {string} options.consumer name of the consuming component; ids are unique per consumer
 * @param {string} [options.table] default `processed_messages`
 * @param {{ now(): number }} [options.clock]
 */
function createPgIdempotencyStore({ pool, consumer, table = 'processed_messages', clock = systemClock }) {
  if (!pool || typeof consumer !== 'string' || consumer === '') {
    throw eventError('DN_EVENTS_OPTIONS_INVALID', 'createPgIdempotencyStore needs { pool, consumer }');
  }
  if (!IDENTIFIER.test(table)) {
    throw eventError('DN_EVENTS_OPTIONS_INVALID', `table must be a plain lower-case identifier, got ${JSON.stringify(table)}`);
  }

  async function ensureSchema() {
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         consumer text NOT NULL,
         message_id text NOT NULL,
         processed_at timestamptz NOT NULL,
         PRIMARY KEY (consumer, message_id)
       )`,
    );
    await pool.query(`CREATE INDEX IF NOT EXISTS ${table}_processed_at_idx ON ${table} (processed_at)`);
  }

  /**
   * Runs `fn({ tx })` in a transaction that also records the id. A concurrent delivery of the same
   * id waits on the primary key until this one commits, then finds the row and is a duplicate.
   */
  async function run(id, fn) {
    const client = await pool.connect();
    let broken;
    try {
      await client.query('BEGIN');
      const inserted = await client.query(
        `INSERT INTO ${table} (consumer, message_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [consumer, id, new Date(clock.now())],
      );
      if (inserted.rowCount === 0) {
        await client.query('ROLLBACK');
        return { duplicate: true };
      }
      const result = await fn({ tx: client });
      await client.query('COMMIT');
      return { duplicate: false, result };
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async function has(id) {
    const { rowCount } = await pool.query(`SELECT 1 FROM ${table} WHERE consumer = $1 AND message_id = $2`, [consumer, id]);
    return rowCount > 0;
  }

  /** Forgets ids processed more than `ttlMs` ago; returns how many were removed. */
  async function purgeExpired(ttlMs = DAY_MS) {
    const { rowCount } = await pool.query(`DELETE FROM ${table} WHERE consumer = $1 AND processed_at < $2`, [consumer, new Date(clock.now() - ttlMs)]);
    return rowCount;
  }

  return { run, has, ensureSchema, purgeExpired };
}

module.exports = { idempotent, createRedisIdempotencyStore, createPgIdempotencyStore };
