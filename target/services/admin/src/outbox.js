'use strict';

// Transactional outbox: events are written in the same transaction as the change they describe,
// then relayed to RabbitMQ. A crash between commit and publish delays an event, never loses it;
// a failed publish leaves the row for the next flush (consumers deduplicate on the event id).

async function enqueue(tx, envelope) {
  await tx.query('INSERT INTO admin_outbox (event_id, type, envelope, created_at) VALUES ($1, $2, $3, $4)', [
    envelope.id,
    envelope.type,
    JSON.stringify(envelope),
    envelope.occurredAt,
  ]);
}

function createOutboxRelay({ postgres, publisher, logger, batchSize = 100 }) {
  let running = null;

  async function flushOnce() {
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
      return rows.length;
    });
  }

  /** Publishes every pending event; concurrent callers share one run. Returns how many were sent. */
  function flush() {
    if (!running) {
      running = (async () => {
        let total = 0;
        for (;;) {
          const n = await flushOnce();
          total += n;
          if (n < batchSize) return total;
        }
      })().finally(() => {
        running = null;
      });
    }
    return running;
  }

  /** Flushes and logs instead of throwing: used after a request has already committed. */
  async function flushQuietly() {
    try {
      return await flush();
    } catch (err) {
      logger.warn({ event: 'admin.outbox_pending', err: err.message }, 'outbox relay failed; events stay pending');
      return 0;
    }
  }

  async function pending() {
    const { rows } = await postgres.query('users', 'SELECT count(*)::int AS n FROM admin_outbox WHERE published_at IS NULL');
    return rows[0].n;
  }

  return { flush, flushQuietly, pending };
}

module.exports = { enqueue, createOutboxRelay };
