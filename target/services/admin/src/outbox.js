'use strict';

// Transactional outbox: events are written in the same transaction as the change they describe,
// then relayed to RabbitMQ. A crash between commit and publish delays an event, never loses it;
// a failed publish leaves the row for the next flush (consumers deduplicate on the event id).

const { events: { createRelayRunner } } = require('../../../shared');

async function enqueue(tx, envelope) {
  await tx.query('INSERT INTO admin_outbox (event_id, type, envelope, created_at) VALUES ($1, $2, $3, $4)', [
    envelope.id,
    envelope.type,
    JSON.stringify(envelope),
    envelope.occurredAt,
  ]);
}

function createOutboxRelay({ postgres, publisher, logger, batchSize = 100 }) {
  // One transaction per batch: a failed publish rolls the whole batch back, so its rows are all
  // published again by the next run.
  async function relayOnce() {
    return postgres.withTransaction('users', async (tx) => {
      // SKIP LOCKED: two relays (two admin instances) never publish the same row concurrently.
      const { rows } = await tx.query(
        `SELECT seq, envelope FROM admin_outbox WHERE published_at IS NULL
          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      for (const row of rows) {
        await publisher.publish(row.envelope.type, row.envelope);
        await tx.query('UPDATE admin_outbox SET published_at = now() WHERE seq = $1', [row.seq]);
      }
      return { selected: rows.length, sent: rows.length };
    });
  }

  async function countPending() {
    const { rows } = await postgres.query('users', 'SELECT count(*)::int AS n FROM admin_outbox WHERE published_at IS NULL');
    return rows[0].n;
  }

  return createRelayRunner({ relayOnce, batchSize, countPending, logger, service: 'admin' });
}

module.exports = { enqueue, createOutboxRelay };
