'use strict';

// Hopping (sliding) windows: size `sizeMs`, a new one starting every `advanceMs`, aligned to the
// epoch. An event belongs to every window [s, s + size) with s <= ts < s + size, that is
// ceil(size / advance) windows or one fewer.

/** Windows an event at `ts` belongs to, latest start first. */
function hoppingWindows(ts, sizeMs, advanceMs) {
  const out = [];
  const lastStart = Math.floor(ts / advanceMs) * advanceMs;
  for (let s = lastStart; s >= ts - sizeMs; s -= advanceMs) {
    out.push({ start: s, end: s + sizeMs });
  }
  return out;
}

module.exports = { hoppingWindows };
