'use strict';

// The store's periodic work: each round downsamples, applies retention and compacts the archive.

/**
 * @param {object} deps
 * @param {{ downsampler, retention, compactor }} deps.parts
 * @param {object} deps.clock
 * @param {number} deps.intervalMs 0: rounds run only when `run()` is called
 * @param {object} deps.logger
 */
function createMaintenance({ parts, clock, intervalMs, logger }) {
  let timer = null;
  let current = null;

  async function round() {
    const downsampled = await parts.downsampler.run();
    const retention = await parts.retention.run();
    const compacted = await parts.compactor.compactAll();
    return { downsampled, deleted: retention.deleted, compacted };
  }

  /** One round now (or the one already running). */
  function run() {
    current = current || round().finally(() => {
      current = null;
    });
    return current;
  }

  function start() {
    if (intervalMs <= 0 || timer) return;
    timer = clock.setInterval(() => {
      run().catch((err) => logger.warn({ err }, 'store maintenance round failed; the next round tries again'));
    }, intervalMs);
  }

  async function stop() {
    if (timer) clock.clearInterval(timer);
    timer = null;
    if (current) await current.catch(() => {});
  }

  return { run, start, stop };
}

module.exports = { createMaintenance };
