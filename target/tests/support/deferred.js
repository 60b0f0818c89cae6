'use strict';

// Building blocks for forcing interleavings without timers.

const { setImmediate: realSetImmediate } = require('node:timers');

/** A promise with its resolve/reject exposed, and its state readable synchronously. */
function createDeferred() {
  const d = { state: 'pending', value: undefined };
  d.promise = new Promise((resolve, reject) => {
    d.resolve = (value) => {
      if (d.state === 'pending') Object.assign(d, { state: 'fulfilled', value });
      resolve(value);
    };
    d.reject = (err) => {
      if (d.state === 'pending') Object.assign(d, { state: 'rejected', value: err });
      reject(err);
    };
  });
  return d;
}

/**
 * A barrier for `parties` participants: `arrive()` returns a promise that resolves once all of
 * them have arrived (in the same tick for everyone, so none gets ahead).
 */
function createBarrier(parties) {
  if (!Number.isInteger(parties) || parties < 1) throw new TypeError('barrier needs a positive integer');
  const gate = createDeferred();
  let arrived = 0;
  return {
    arrive() {
      arrived++;
      if (arrived === parties) gate.resolve();
      if (arrived > parties) throw new Error(`barrier for ${parties} passed ${arrived} times`);
      return gate.promise;
    },
    get arrived() {
      return arrived;
    },
    get open() {
      return gate.state === 'fulfilled';
    },
  };
}

/**
 * The state of `promise` after the microtask queue has drained: 'pending', 'fulfilled' or
 * 'rejected'. Used to assert that something is still waiting (e.g. a query behind a stall).
 */
async function promiseState(promise) {
  let state = 'pending';
  promise.then(
    () => {
      state = 'fulfilled';
    },
    () => {
      state = 'rejected';
    },
  );
  await new Promise((resolve) => realSetImmediate(resolve));
  return state;
}

module.exports = { createDeferred, createBarrier, promiseState };
