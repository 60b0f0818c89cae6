'use strict';

// Runs tasks one after another per key, in the order they were handed in, while tasks of other
// keys run concurrently. The router hands each delivery in as it arrives, so one tenant's events
// are routed (and published, retries included) in the order the broker delivered them.

function createSequencer() {
  const tails = new Map();

  /** Runs `fn` once every earlier task of `key` has settled; resolves or rejects with it. */
  function run(key, fn) {
    const previous = tails.get(key) || Promise.resolve();
    const result = previous.then(() => fn());
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  }

  return { run, pending: () => tails.size };
}

module.exports = { createSequencer };
