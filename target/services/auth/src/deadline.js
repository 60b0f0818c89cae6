'use strict';

const { authError } = require('./errors');

/**
 * Bounds a store call by `ms` on the service clock. A stalled database must turn into a 503
 * the caller can retry, not into a request that hangs until the client gives up.
 */
function withDeadline(promise, clock, ms) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = clock.setTimeout(() => reject(authError('AUTH_STORE_UNAVAILABLE', `store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clock.clearTimeout(timer));
}

/** Store failures (connection refused, reset, timeout) become AUTH_STORE_UNAVAILABLE. */
function storeFailure(err) {
  if (err && err.code && String(err.code).startsWith('AUTH_')) return err;
  const connection = err && (/^(ECONN|EPIPE|ETIMEDOUT|57P|08)/.test(String(err.code)) || /timeout|terminated|Connection/i.test(String(err.message)));
  return connection ? authError('AUTH_STORE_UNAVAILABLE', 'authentication store unavailable') : err;
}

module.exports = { withDeadline, storeFailure };
