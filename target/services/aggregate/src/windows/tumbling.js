'use strict';

// Tumbling windows: fixed-size, non-overlapping, aligned to the epoch. Windows are half-open,
// [start, end): an event stamped exactly on a boundary opens the next window.

/** The one window an event at `ts` (ms) belongs to. */
function tumblingWindow(ts, sizeMs) {
  const start = Math.ceil(ts / sizeMs) * sizeMs - sizeMs;
  return { start, end: start + sizeMs };
}

module.exports = { tumblingWindow };
