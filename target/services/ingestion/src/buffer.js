'use strict';

// Accepted events wait here until they are written to the outbox: in batches once `batchSize`
// events are held, or `flushMs` after the first event of a batch arrived, whichever comes first.
// Writes run one at a time, in arrival order. A failed write puts its events back at the front,
// so nothing accepted is lost; while `maxEvents` are held (waiting or being written), new events
// are refused rather than growing memory without bound.

const { ingestionError } = require('./errors');

/**
 * @param {object} deps
 * @param {(batch: object[]) => Promise<unknown>} deps.sink writes one batch (one transaction)
 * @param {object} deps.clock timers come from it
 * @param {number} deps.batchSize
 * @param {number} deps.flushMs
 * @param {number} deps.maxEvents
 * @param {object} deps.logger
 */
function createBuffer({ sink, clock, batchSize, flushMs, maxEvents, logger }) {
  let items = [];
  let writing = 0;
  let timer = null;
  let chain = Promise.resolve();
  let scheduled = null;
  let closed = false;

  // Starts the wait of the events held now; one timer at a time.
  function arm() {
    if (timer === null) timer = clock.setInterval(onTimer, flushMs);
  }

  function onTimer() {
    timer = null;
    flushQuietly();
  }

  async function drain() {
    if (items.length === 0) return 0;
    const batch = items;
    writing = batch.length;
    try {
      await sink(batch);
      items = [];
    } finally {
      writing = 0;
    }
    return batch.length;
  }

  /** Writes what is held now, after any write in progress; resolves with how many were written. */
  function flush() {
    if (!scheduled) {
      scheduled = chain.then(() => {
        scheduled = null;
        return drain();
      });
      chain = scheduled.catch(() => {});
    }
    return scheduled;
  }

  /** Like flush, but a failed write is logged and retried after flushMs instead of thrown. */
  function flushQuietly() {
    return flush().catch((err) => {
      logger.warn({ event: 'ingestion.flush_failed', err: err.message, held: items.length }, 'outbox write failed; events stay buffered');
      if (items.length > 0) arm();
      return 0;
    });
  }

  /**
   * Holds `events` (in order) for the next write. Throws INGEST_BUFFER_FULL and holds none of
   * them when they would not fit.
   */
  function push(events) {
    if (closed) throw ingestionError('INGEST_BUFFER_FULL', 'ingestion is shutting down');
    const held = items.length + writing;
    if (held + events.length > maxEvents) {
      throw ingestionError('INGEST_BUFFER_FULL', `${held} events are waiting to be written (at most ${maxEvents})`);
    }
    for (const event of events) items.push(event);
    if (items.length === batchSize) {
      flushQuietly();
      return events.length;
    }
    arm();
    return events.length;
  }

  /** Stops the timer and writes what is still held. */
  async function close() {
    closed = true;
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    await flushQuietly();
  }

  function stats() {
    return { held: items.length + writing, waiting: items.length, writing };
  }

  return { push, flush, flushQuietly, close, stats };
}

module.exports = { createBuffer };
