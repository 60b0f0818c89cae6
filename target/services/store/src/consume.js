'use strict';

// The store's consumer of `store.rollups` (aggregate.window.closed events). A delivery is checked
// against its contract and written (rollups.js); a window that does not match the contract can
// never be stored and goes to the dead queue at once. Each delivery the consumer is done with is
// announced on `emitter`: 'written' { eventId, tenantId, rollupId, seriesKey, windowStart,
// revision, status } ('written', or 'stale' for a revision already stored), 'rejected'
// { eventId, err } and 'failed' { eventId, err } (retried by the consumer).

const { contracts: { validateEnvelope } } = require('../../../shared');
const { storeError } = require('./errors');

const CONSUMED_TYPE = 'aggregate.window.closed';

/** The window of an aggregate.window.closed envelope; throws STORE_EVENT_INVALID otherwise. */
function windowOf(event) {
  const { valid, errors } = validateEnvelope(event);
  let why = null;
  if (!valid) why = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  else if (event.type !== CONSUMED_TYPE) why = `type ${event.type} is not ${CONSUMED_TYPE}`;
  else if (Date.parse(event.data.windowEnd) <= Date.parse(event.data.windowStart)) why = 'windowEnd is not after windowStart';
  if (why !== null) {
    const err = storeError('STORE_EVENT_INVALID', `event is not a valid ${CONSUMED_TYPE}: ${why}`);
    err.retryable = false;
    throw err;
  }
  return event.data;
}

/**
 * @param {object} deps
 * @param {object} deps.writer rollups.js
 * @param {import('node:events').EventEmitter} deps.emitter
 */
function createWindowHandler({ writer, emitter }) {
  return async function handleWindow(event) {
    const eventId = event && typeof event.id === 'string' ? event.id : undefined;
    let window;
    try {
      window = windowOf(event);
    } catch (err) {
      emitter.emit('rejected', { eventId, err });
      throw err;
    }
    let outcome;
    try {
      outcome = await writer.write(event.tenantId, window, eventId);
    } catch (err) {
      emitter.emit('failed', { eventId, err });
      throw err;
    }
    const written = { eventId, tenantId: event.tenantId, rollupId: window.rollupId, seriesKey: window.seriesKey, windowStart: window.windowStart, revision: window.revision, status: outcome.status };
    emitter.emit('written', written);
    return written;
  };
}

module.exports = { createWindowHandler, windowOf, CONSUMED_TYPE };
