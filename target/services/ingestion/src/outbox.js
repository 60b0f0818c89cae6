'use strict';

// The outbox relay: publishes stored events as ingestion.record envelopes, in outbox order, and
// marks the rows of a batch sent in one statement. A run that fails is reported to its caller;
// the periodic relay runs again. Consumers deduplicate on the envelope id, which is the event id.

const { events: { createRelayRunner } } = require('../../../shared');

function createOutboxRelay({ postgres, publisher, clock, logger, batchSize = 200 }) {
  async function relayOnce() {
    return postgres.withTransaction('pipeline', async (tx) => {
      // SKIP LOCKED: two ingestion instances never publish the same row at the same time.
      const { rows } = await tx.query(
        `SELECT seq, envelope FROM ingestion_outbox WHERE published_at IS NULL
          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      const sent = [];
      let failure = null;
      for (const row of rows) {
        try {
          await publisher.publish(row.envelope.type, row.envelope);
        } catch (err) {
          failure = err;
        }
        sent.push(row.seq);
      }
      if (sent.length > 0) {
        await tx.query('UPDATE ingestion_outbox SET published_at = $2 WHERE seq = ANY($1::bigint[])', [sent, new Date(clock.now())]);
      }
      return { selected: rows.length, sent: sent.length, failure };
    });
  }

  async function countPending() {
    const { rows } = await postgres.query('pipeline', 'SELECT count(*)::int AS n FROM ingestion_outbox WHERE published_at IS NULL');
    return rows[0].n;
  }

  return createRelayRunner({ relayOnce, batchSize, countPending, logger, service: 'ingestion' });
}

module.exports = { createOutboxRelay };
