'use strict';

// Converting between Redis stream replies and plain objects.

/** `[id, [f1, v1, f2, v2, ...]]` → `{ id, fields: { f1: v1, ... } }`; fields is null for a deleted entry. */
function toEntry([id, flat]) {
  if (flat === null || flat === undefined) return { id, fields: null };
  const fields = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return { id, fields };
}

/** `{ a: 1, b: 'x' }` → `['a', '1', 'b', 'x']`; objects are JSON-encoded. */
function flatten(fields) {
  const out = [];
  for (const [k, v] of Object.entries(fields)) {
    out.push(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

/** Parses a stream id `ms-seq` into a comparable pair of BigInts. */
function parseId(id) {
  const [ms, seq = '0'] = String(id).split('-');
  return [BigInt(ms), BigInt(seq)];
}

/** Orders two stream ids: negative when a < b, 0 when equal, positive when a > b. */
function compareIds(a, b) {
  const [am, as] = parseId(a);
  const [bm, bs] = parseId(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

/**
 * Appends one entry; returns its id.
 * @param {import('ioredis').Redis} redis
 * @param {string} stream
 * @param {object} fields
 */
function append(redis, stream, fields) {
  return redis.xadd(stream, '*', ...flatten(fields));
}

module.exports = { toEntry, flatten, parseId, compareIds, append };
