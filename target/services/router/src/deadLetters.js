'use strict';

// Events the router could not deliver, kept in the pipeline database until an operator replays
// them: `no-topic` (the tenant has no topic), `no-subscription` (no pattern matches),
// `invalid-event` (not a transform.record envelope) and `publish-failed` (one subscriber's copy,
// after its publish attempts). A redelivered event is recorded once per subscriber and reason;
// recording it again re-opens an entry that was replayed.

const REASONS = Object.freeze(['no-topic', 'no-subscription', 'invalid-event', 'publish-failed']);
const MAX_DETAIL = 500;

function toDeadLetter(row) {
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    eventId: row.event_id,
    subscriptionId: row.subscription_id === '' ? null : row.subscription_id,
    reason: row.reason,
    detail: row.detail,
    envelope: row.envelope,
    createdAt: row.created_at.toISOString(),
    replayedAt: row.replayed_at ? row.replayed_at.toISOString() : null,
  };
}

function createDeadLetters({ postgres, clock }) {
  const query = (sql, params) => postgres.query('pipeline', sql, params);
  let recorded = 0;

  /**
   * @param {{ tenantId?: string, eventId: string, envelope: object }} route
   * @param {{ reason: string, subscriptionId?: string, err?: Error }} what
   */
  async function add(route, { reason, subscriptionId = '', err }) {
    if (!REASONS.includes(reason)) throw new TypeError(`unknown dead-letter reason ${reason}`);
    const detail = err ? String(err.code ? `${err.code}: ${err.message}` : err.message).slice(0, MAX_DETAIL) : '';
    await query(
      `INSERT INTO router_dead_letters (tenant_id, event_id, subscription_id, reason, detail, envelope, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (event_id, subscription_id, reason)
       DO UPDATE SET replayed_at = NULL, detail = EXCLUDED.detail`,
      [route.tenantId || '', route.eventId, subscriptionId, reason, detail, JSON.stringify(route.envelope), new Date(clock.now())],
    );
    recorded += 1;
  }

  /** Open (not replayed) dead letters, oldest first; `tenantId` null lists every tenant's. */
  async function list({ tenantId, limit = 50, afterId = '0' }) {
    const params = [afterId, limit];
    let where = 'replayed_at IS NULL AND id > $1';
    if (tenantId !== null) {
      params.push(tenantId);
      where += ' AND tenant_id = $3';
    }
    const { rows } = await query(`SELECT * FROM router_dead_letters WHERE ${where} ORDER BY id LIMIT $2`, params);
    return rows.map(toDeadLetter);
  }

  async function byIds(ids, tenantId) {
    const params = [ids];
    let where = 'replayed_at IS NULL AND id = ANY($1::bigint[])';
    if (tenantId !== null) {
      params.push(tenantId);
      where += ' AND tenant_id = $2';
    }
    const { rows } = await query(`SELECT * FROM router_dead_letters WHERE ${where} ORDER BY id`, params);
    return rows.map(toDeadLetter);
  }

  async function markReplayed(id) {
    await query('UPDATE router_dead_letters SET replayed_at = $2 WHERE id = $1', [id, new Date(clock.now())]);
  }

  async function count(tenantId) {
    const { rows } = await query('SELECT count(*)::int AS n FROM router_dead_letters WHERE replayed_at IS NULL AND tenant_id = $1', [tenantId]);
    return rows[0].n;
  }

  return { add, list, byIds, markReplayed, count, stats: () => ({ recorded }) };
}

module.exports = { createDeadLetters, REASONS };
