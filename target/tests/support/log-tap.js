'use strict';

// A logger whose records a test can wait for. Code under test often logs right before it acts in
// the same tick (the events consumer logs a retry, then republishes and acks), so "it happened"
// becomes an event to await instead of a condition to poll a guessed number of times.

const { createLogger } = require('../../shared/utils/logger');

// What the events consumer logs when it settles a failed delivery (shared/events/consumer.js).
const DELIVERY_RETRIED = 'handler failed; delivery will be retried';
const DELIVERY_DEAD_LETTERED = 'delivery dead-lettered';

/** A record of a failed delivery being settled, either way: waiting on both fails fast. */
const failureSettled = (record) => record.msg === DELIVERY_RETRIED || record.msg === DELIVERY_DEAD_LETTERED;

function createLogTap({ name = 'tap', level = 'debug' } = {}) {
  const records = [];
  const waiters = new Set();
  const logger = createLogger({
    name,
    level,
    sink: (line) => {
      records.push(JSON.parse(line));
      for (const waiter of [...waiters]) waiter();
    },
  });

  /** Resolves with the `n`-th record so far or to come (1-based) for which `match` holds. */
  function nth(n, match) {
    return new Promise((resolve) => {
      const waiter = () => {
        const found = records.filter(match);
        if (found.length < n) return;
        waiters.delete(waiter);
        resolve(found[n - 1]);
      };
      waiters.add(waiter);
      waiter();
    });
  }

  return { logger, records, nth };
}

module.exports = { createLogTap, failureSettled, DELIVERY_RETRIED, DELIVERY_DEAD_LETTERED };
