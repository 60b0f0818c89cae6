'use strict';

// Compaction of the archive (archive.js). Every accepted window is one small segment, so a busy
// series gathers thousands of objects; compaction merges a series' segments into one and deletes
// the ones it merged. Appends go on while it runs: a segment that appears after the listing is
// not part of this merge and stays for the next one.

const { encodeSegment, decodeSegment } = require('./segments');

function pointKey(point) {
  return point.windowStart;
}

function byWindow(a, b) {
  return a.windowStart < b.windowStart ? -1 : a.windowStart > b.windowStart ? 1 : 0;
}

/**
 * Merges decoded segments, given oldest first, into the series' points: one per window, the
 * version written last, in window order.
 * @param {Array<{ points: object[] }>} segments
 */
function mergeSegments(segments) {
  const merged = new Map();
  for (const segment of segments) {
    for (const point of segment.points) {
      const key = pointKey(point);
      if (!merged.has(key)) merged.set(key, point);
    }
  }
  return [...merged.values()].sort(byWindow);
}

/** The compacted segment sorts right before the newest input, so after every other input. */
function outputKeyFor(inputs) {
  return inputs[inputs.length - 1].replace(/\.json$/, '.c.json');
}

/**
 * @param {object} deps
 * @param {object} deps.objectStore clients/objectstore.js
 * @param {object} deps.archive archive.js (its bucket and its segment format)
 * @param {number} [deps.minSegments] a series with fewer segments is left alone
 */
function createCompactor({ objectStore, archive, minSegments = 2 }) {
  const running = new Set();

  async function readAll(keys) {
    const segments = [];
    for (const key of keys) segments.push(decodeSegment((await objectStore.getObject(archive.bucket, key)).body));
    return segments;
  }

  async function merge(prefix, inputs) {
    const segments = await readAll(inputs);
    const { tenantId, rollupId, seriesKey } = segments[segments.length - 1];
    const points = mergeSegments(segments);
    const output = outputKeyFor(inputs);
    await objectStore.putObject(archive.bucket, output, encodeSegment({ tenantId, rollupId, seriesKey }, points), { contentType: 'application/json' });
    for (const { key } of await objectStore.listObjects(archive.bucket, prefix)) {
      if (key !== output) await objectStore.deleteObject(archive.bucket, key);
    }
    return { merged: inputs.length, points: points.length, output };
  }

  /**
   * Compacts one series (its prefix, from archive.seriesPrefixes()). One compaction per series at
   * a time in this process; resolves with `{ merged, points, output }` or `{ merged: 0 }`.
   */
  async function compactSeries(prefix) {
    if (running.has(prefix)) return { merged: 0 };
    running.add(prefix);
    try {
      const inputs = (await objectStore.listObjects(archive.bucket, prefix)).map((o) => o.key);
      if (inputs.length < minSegments) return { merged: 0 };
      return await merge(prefix, inputs);
    } finally {
      running.delete(prefix);
    }
  }

  /** Compacts every series that has enough segments; resolves with the number of segments merged. */
  async function compactAll() {
    let merged = 0;
    for (const prefix of await archive.seriesPrefixes()) merged += (await compactSeries(prefix)).merged;
    return merged;
  }

  return { compactSeries, compactAll };
}

module.exports = { createCompactor, mergeSegments, outputKeyFor };
