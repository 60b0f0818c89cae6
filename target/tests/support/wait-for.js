'use strict';

// Waiting on progress, not on time: either for an event, or for a condition re-checked once per
// event-loop turn (setImmediate) up to a maximum number of turns. A wait that never succeeds fails
// with a message instead of relying on the jest timeout.
//
// A wait for events also fails when the events stop coming: STALL_MS of real time without one.
// Otherwise a pipeline that stopped moving (a consumer that died, a connection never restored)
// would hold each waiting test until its jest timeout, minutes later. A working system emits its
// events milliseconds apart, seconds on a loaded machine, so the bound never decides a passing
// run; it only ends a failing one early. Every event counts, matching or not: progress is progress.

const { setImmediate: realSetImmediate, setTimeout: realSetTimeout, clearTimeout: realClearTimeout } = require('node:timers');

const STALL_MS = 30_000;

/**
 * A watchdog for a wait on events: `kick()` on every event; `onStall` runs once when `stallMs`
 * of real time pass without one. `stop()` ends it. Its timer never keeps the process alive.
 */
function stallWatch(onStall, stallMs = STALL_MS) {
  let timer = null;
  const stop = () => {
    if (timer) realClearTimeout(timer);
    timer = null;
  };
  const kick = () => {
    stop();
    timer = realSetTimeout(onStall, stallMs);
    timer.unref();
  };
  kick();
  return { kick, stop };
}

function stalled(what, stallMs) {
  return new Error(`${what}: no event for ${Math.round(stallMs / 1000)} s, the system under test stopped making progress`);
}

/**
 * Resolves with the first argument of the next `event` on `emitter` (for which `filter` holds);
 * rejects when `rejectOn` (an event name, e.g. 'error') fires first, or when no `event` at all
 * came for `stallMs`.
 * @param {import('node:events').EventEmitter} emitter
 * @param {string} event
 * @param {{ filter?: (...args) => boolean, rejectOn?: string, stallMs?: number }} [options]
 */
function waitForEvent(emitter, event, options = {}) {
  const { filter, rejectOn, stallMs = STALL_MS } = options;
  return new Promise((resolve, reject) => {
    const watch = stallWatch(() => {
      cleanup();
      reject(stalled(`waiting for '${event}'`, stallMs));
    }, stallMs);
    const onEvent = (...args) => {
      watch.kick();
      if (filter && !filter(...args)) return;
      cleanup();
      resolve(args[0]);
    };
    const onReject = (err) => {
      cleanup();
      reject(err instanceof Error ? err : new Error(`${rejectOn} fired before ${event}`));
    };
    function cleanup() {
      watch.stop();
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

module.exports = { waitForEvent, waitUntil, turns, stallWatch, stalled, STALL_MS };
