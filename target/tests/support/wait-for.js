'use strict';

// Waiting without timers: either for an event, or for a condition re-checked once per event-loop
// turn (setImmediate) up to a maximum number of turns. A wait that never succeeds fails with a
// message instead of relying on the jest timeout.

const { setImmediate: realSetImmediate } = require('node:timers');

/**
 * Resolves with the first argument of the next `event` on `emitter` (for which `filter` holds);
 * rejects when `rejectOn` (an event name, e.g. 'error') fires first.
 * @param {import('node:events').EventEmitter} emitter
 * @param {string} event
 * @param {{ filter?: (...args) => boolean, rejectOn?: string }} [options]
 */
function waitForEvent(emitter, event, options = {}) {
  const { filter, rejectOn } = options;
  return new Promise((resolve, reject) => {
    const onEvent = (...args) => {
      if (filter && !filter(...args)) return;
      cleanup();
      resolve(args[0]);
    };
    const onReject = (err) => {
      cleanup();
      reject(err instanceof Error ? err : new Error(`${rejectOn} fired before ${event}`));
    };
    function cleanup() {
      emitter.off(event, onEvent);
      if (rejectOn) emitter.off(rejectOn, onReject);
    }
    emitter.on(event, onEvent);
    if (rejectOn) emitter.on(rejectOn, onReject);
  });
}

/**
 * Resolves with the first truthy value of `predicate()` (sync or async), re-evaluated once per
 * event-loop turn; rejects after `maxIterations` turns.
 */
async function waitUntil(predicate, options = {}) {
  const { maxIterations = 100_000, description = 'condition' } = options;
  for (let i = 0; i < maxIterations; i++) {
    const value = await predicate();
    if (value) return value;
    await new Promise((resolve) => realSetImmediate(resolve));
  }
  throw new Error(`waitUntil: ${description} still false after ${maxIterations} event-loop turns`);
}

/** Resolves after `n` event-loop turns (lets I/O callbacks already queued run). */
async function turns(n = 1) {
  for (let i = 0; i < n; i++) await new Promise((resolve) => realSetImmediate(resolve));
}

module.exports = { waitForEvent, waitUntil, turns };
