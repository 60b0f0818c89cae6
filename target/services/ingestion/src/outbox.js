'use strict';

// The outbox relay: publishes stored events as ingestion.record envelopes, in outbox order, and
// marks the rows of a run sent in one statement. A run that fails is reported to its caller; the
// periodic relay runs again.
// Consumers deduplicate on the envelope id, which is the event id.

function createOutboxRelay({ postgres, publisher, clock, logger, batchSize = 200 }) {
  let running = null;

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

  // Set by every call; a run goes round again while it is set, so rows written after the run's
  // SELECT are sent by that run and do not wait for the periodic relay.
  let requested = false;

  /** Publishes every pending row; concurrent callers share one run. Resolves with how many were sent. */
  function flush() {
    requested = true;
    if (!running) {
      running = (async () => {
        let total = 0;
        while (requested) {
          requested = false;
          for (;;) {
            const { selected, sent, failure } = await relayOnce();
            total += sent;
            if (failure) throw Object.assign(failure, { sentBefore: total });
            if (selected < batchSize) break;
          }
        }
        return total;
      })().finally(() => {
        running = null;
      });
    }
    return running;
  }

  /** Flushes and logs instead of throwing (the periodic relay and the kick after each write). */
  async function flushQuietly() {
    try {
      return await flush();
    } catch (err) {
      logger.warn({ event: 'ingestion.outbox_pending', err: err.message }, 'outbox relay failed; events stay pending');
      return 0;
    }
  }

  /** Resolves once no relay run is in progress. */
  async function idle() {
    if (running) await running.catch(() => {});
  }

  async function pending() {
    const { rows } = await postgres.query('pipeline', 'SELECT count(*)::int AS n FROM ingestion_outbox WHERE published_at IS NULL');
    return rows[0].n;
  }

  return { flush, flushQuietly, idle, pending };
}

module.exports = { createOutboxRelay };
