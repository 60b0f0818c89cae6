'use strict';

// Lateness rules of windows: whether an event may still update a window, and when a window's
// state can be dropped.

/** True when the window no longer accepts events at `watermark`. */
function isClosedForEvents(window, watermark, allowedLatenessMs) {
  if (watermark === null || watermark === undefined) return false;
  return watermark > window.start + allowedLatenessMs;
}

/** The watermark at which a window's state is dropped. */
function expiresAt(window, allowedLatenessMs) {
  return window.end + allowedLatenessMs;
}

module.exports = { isClosedForEvents, expiresAt };
