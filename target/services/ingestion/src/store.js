'use strict';

const { stream: { append } } = require('../../../shared');

// Writing one batch of accepted events: one INSERT into the outbox for the whole batch, and one
// entry per newly stored event on the tenant's Redis stream `events:<tenant>`, in one PostgreSQL
// transaction. An event id the tenant already sent is skipped (a client retry is not a second
// event). The stream entries are appended before the commit: a write that fails after them is
// retried and may append an entry twice, never lose one; stream readers deduplicate on eventId.

const INSERT_BATCH = `
  INSERT INTO ingestion_outbox (tenant_id, event_id, batch_id, envelope, created_at)
  SELECT r.item->>'tenant_id', r.item->>'event_id', r.item->>'batch_id', r.item->'envelope', (r.item->>'created_at')::timestamptz
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS r(item, ord)
   ORDER BY r.ord
  ON CONFLICT (tenant_id, event_id) DO NOTHING
  RETURNING seq, tenant_id, event_id, envelope`;

function streamKey(tenantId) {
  return `events:${tenantId}`;
}

/**
 * @param {object} deps
 * @param {object} deps.postgres clients.postgres (database `pipeline`)
 * @param {object} deps.redis clients.redis
 * @param {object} deps.clock
 * @param {object} deps.logger
 * @returns {(batch: object[]) => Promise<number>} writes a batch; resolves with the events newly stored
 */
function createOutboxWriter({ postgres, redis, clock, logger }) {
  return async function writeBatch(batch) {
    const createdAt = new Date(clock.now()).toISOString();
    const rows = batch.map((record) => ({
      tenant_id: record.tenantId,
      event_id: record.eventId,
      batch_id: record.batchId,
      envelope: record.envelope,
      created_at: createdAt,
    }));
    return postgres.withTransaction('pipeline', async (tx) => {
      const { rows: stored } = await tx.query(INSERT_BATCH, [JSON.stringify(rows)]);
      stored.sort((a, b) => Number(a.seq) - Number(b.seq));
      await Promise.all(stored.map((row) => append(redis, streamKey(row.tenant_id), { eventId: row.event_id, envelope: row.envelope })));
      return stored.length;
    });
  };
}

module.exports = { createOutboxWriter, streamKey };
