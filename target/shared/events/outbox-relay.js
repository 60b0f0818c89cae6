'use strict';

// The run loop of a transactional outbox relay. A service keeps its own outbox table and the
// transaction that publishes one batch of it (`relayOnce`); this runs those batches until the
// outbox is drained. Concurrent callers share one run, and a call made during a run makes that
// run go round again, so rows written after its SELECT do not wait for the next periodic relay.

/**
 * @param {object} options
 * @param {() => Promise<{ selected: number, sent: number, failure?: Error|null }>} options.relayOnce
 *   publishes one batch: how many rows it selected, how many it marked sent, and the publish
 *   failure that stopped it, if any
 * @param {number} options.batchSize a batch this full means more rows may be waiting
 * @param {() => Promise<number>} options.countPending rows not yet published
 * @param {object} options.logger
 * @param {string} options.service names the warning `<service>.outbox_pending`
 * @returns {{ flush(): Promise<number>, flushQuietly(): Promise<number>, idle(): Promise<void>, pending(): Promise<number> }}
 */
function createRelayRunner({ relayOnce, batchSize, countPending, logger, service }) {
  let running = null;
  let requested = false;

  async function drain() {
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
  }

  /** Publishes every pending row; resolves with how many were sent, rejects with a failed publish. */
  function flush() {
    requested = true;
    if (!running) {
      running = drain().finally(() => {
        running = null;
      });
    }
    return running;
  }

  /** Flushes and logs instead of throwing: for the periodic relay and the kick after a commit. */
  async function flushQuietly() {
    try {
      return await flush();
    } catch (err) {
      logger.warn({ event: `${service}.outbox_pending`, err: err.message }, 'outbox relay failed; events stay pending');
      return 0;
    }
  }

  /** Resolves once no run is in progress. */
  async function idle() {
    if (running) await running.catch(() => {});
  }

  return { flush, flushQuietly, idle, pending: countPending };
}

module.exports = { createRelayRunner };
