'use strict';

/**
 * Bounds `promise` by `ms` on `clock`: after that it rejects with `onTimeout()` (default: an
 * Error saying how long it waited). A stalled store must become an answer the caller can retry,
 * never a request that hangs until the client gives up. The timer is cleared either way.
 */
function withDeadline(promise, clock, ms, onTimeout = () => new Error(`no answer within ${ms} ms`)) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = clock.setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clock.clearTimeout(timer));
}

module.exports = { withDeadline };
