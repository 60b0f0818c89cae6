'use strict';

// The archive: every window the store accepts is also appended, as a small immutable segment, to
// the object store under its series' prefix. Segments are never rewritten; a correction (a higher
// revision of a window) is a new segment, and readers merge a series' segments in key order,
// oldest first (compaction.js). Segment keys start with the clock's time and a per-process
// sequence, so a later append always sorts after an earlier one.

const crypto = require('node:crypto');
const { mergeSegments } = require('./compaction');
const { ROOT, seriesPrefix, encodeSegment, decodeSegment } = require('./segments');

/**
 * @param {object} deps
 * @param {object} deps.objectStore clients/objectstore.js
 * @param {string} deps.bucket
 * @param {{ now(): number }} deps.clock
 */
function createArchive({ objectStore, bucket, clock }) {
  const instance = crypto.randomBytes(4).toString('hex');
  let sequence = 0;
  let bucketReady;

  function ready() {
    bucketReady = bucketReady || objectStore.ensureBucket(bucket).catch((err) => {
      bucketReady = undefined;
      throw err;
    });
    return bucketReady;
  }

  function nextName() {
    sequence += 1;
    return `${String(clock.now()).padStart(15, '0')}-${String(sequence).padStart(9, '0')}-${instance}.json`;
  }

  /** Appends one point (a stored window) to its series; resolves with the segment's key. */
  async function append(tenantId, rollupId, seriesKey, point) {
    await ready();
    const key = `${seriesPrefix(tenantId, rollupId, seriesKey)}${nextName()}`;
    await objectStore.putObject(bucket, key, encodeSegment({ tenantId, rollupId, seriesKey }, [point]), { contentType: 'application/json' });
    return key;
  }

  /** The series' points, each window once, in window order. */
  async function read(tenantId, rollupId, seriesKey) {
    await ready();
    const listed = await objectStore.listObjects(bucket, seriesPrefix(tenantId, rollupId, seriesKey));
    const segments = [];
    for (const { key } of listed) segments.push(decodeSegment((await objectStore.getObject(bucket, key)).body));
    return mergeSegments(segments);
  }

  /** Every series prefix that holds segments. */
  async function seriesPrefixes() {
    await ready();
    const prefixes = new Set();
    for (const { key } of await objectStore.listObjects(bucket, `${ROOT}/`)) prefixes.add(key.slice(0, key.indexOf('/', ROOT.length + 1) + 1));
    return [...prefixes].sort();
  }

  return { append, read, seriesPrefixes, ready, bucket };
}

module.exports = { createArchive };
