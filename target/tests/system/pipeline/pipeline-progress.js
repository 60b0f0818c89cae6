'use strict';

const { waitForEvent } = require('../../support/wait-for');

// Waiting on what the pipeline announces, never on time: aggregate's 'processed' (a record read),
// 'advanced' (the watermark moved, every window due at it emitted or waiting in the outbox) and
// 'emitted' (a window's event confirmed by the broker), and the store's 'written' (a window event
// stored). A wait whose event never comes leaves the test to its timeout.

/**
 * Counts the records aggregate reads for the first time (a redelivery counts as a duplicate) from
 * now on; `until(n)` resolves once n have been read.
 */
function countFirstReads(pipeline) {
  const events = pipeline.services.aggregate.app.aggregateParts.events;
  let count = 0;
  const waiters = [];
  const onProcessed = (e) => {
    if (e.duplicate > 0) return;
    count += 1;
    for (const w of waiters.filter((x) => count >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  events.on('processed', onProcessed);
  return {
    until: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    stop: () => events.off('processed', onProcessed),
  };
}

/** Resolves once aggregate's combined watermark has reached `wm`: call it before what moves it. */
function watermarkReached(pipeline, wm) {
  return waitForEvent(pipeline.services.aggregate.app.aggregateParts.events, 'advanced', { filter: (e) => e.watermark >= wm });
}

/**
 * Follows the windows aggregate emits from now on. `written()` resolves once nothing waits in
 * aggregate's outbox and the store has written every window event emitted: what the metrics
 * database holds is then final for every window closed so far, right or wrong.
 */
function followWindows(pipeline) {
  const parts = pipeline.services.aggregate.app.aggregateParts;
  const store = pipeline.services.store.app.storeParts.events;
  const emitted = new Set();
  const stored = new Set();
  const onEmitted = (envelope) => emitted.add(envelope.id);
  const onStored = (w) => stored.add(w.eventId);
  parts.events.on('emitted', onEmitted);
  store.on('written', onStored);
  const stop = () => {
    parts.events.off('emitted', onEmitted);
    store.off('written', onStored);
  };
  function written() {
    return new Promise((resolve, reject) => {
      let checking = Promise.resolve();
      let done = false;
      const finish = (err) => {
        done = true;
        parts.events.off('emitted', check);
        store.off('written', check);
        stop();
        if (err) reject(err);
        else resolve();
      };
      // registered after onEmitted / onStored, so the sets are up to date when it runs
      function check() {
        checking = checking.then(async () => {
          if (done) return;
          const waiting = (await parts.state.outbox()).length;
          if (waiting === 0 && [...emitted].every((id) => stored.has(id))) finish();
        }).catch(finish);
      }
      parts.events.on('emitted', check);
      store.on('written', check);
      check();
    });
  }
  return { written, stop };
}

module.exports = { countFirstReads, watermarkReached, followWindows };
