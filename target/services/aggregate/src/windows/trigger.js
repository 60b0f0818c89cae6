'use strict';

// When a window's result is final enough to emit, and when an event is too late for it. A window
// [start, end) is complete once the watermark (no event older than it is expected any more) has
// reached its end; events up to `allowedLatenessMs` behind the watermark still update it and
// re-emit it; after that the window's state is dropped.

/** True when a window should be emitted at `watermark`. */
function isDue(window, watermark) {
  return watermark > window.end;
}

module.exports = { isDue };
