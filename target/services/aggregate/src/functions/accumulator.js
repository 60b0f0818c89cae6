'use strict';

// A window's accumulator: everything the functions of a rollup need, kept so that one event
// updates it in O(buckets) and two accumulators merge (session windows that join). Stored in a
// Redis hash as decimal strings (String(number) round-trips a double exactly).

const sum = require('./sum');
const variance = require('./variance');
const histogram = require('./histogram');

function emptyAccumulator(bounds = []) {
  return { n: 0, sum: 0, c: 0, mean: 0, m2: 0, min: null, max: null, buckets: histogram.emptyCounts(bounds) };
}

/** The accumulator after one value. */
function accumulate(acc, value, bounds = []) {
  const s = sum.addToSum(acc, value);
  const v = variance.observe(acc, value);
  return {
    n: v.n,
    sum: s.sum,
    c: s.c,
    mean: v.mean,
    m2: v.m2,
    min: acc.min === null || value < acc.min ? value : acc.min,
    max: acc.max === null || value > acc.max ? value : acc.max,
    buckets: bounds.length > 0 ? histogram.observe(bounds, acc.buckets, value) : acc.buckets,
  };
}

function mergeAccumulators(a, b) {
  const s = sum.mergeSums(a, b);
  const v = variance.merge(a, b);
  return {
    n: v.n,
    sum: s.sum,
    c: s.c,
    mean: v.mean,
    m2: v.m2,
    min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
    max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
    buckets: histogram.merge(a.buckets, b.buckets),
  };
}

/** Hash fields of an accumulator. */
function encodeAccumulator(acc) {
  const fields = { n: String(acc.n), sum: String(acc.sum), c: String(acc.c), mean: String(acc.mean), m2: String(acc.m2) };
  if (acc.min !== null) fields.min = String(acc.min);
  if (acc.max !== null) fields.max = String(acc.max);
  acc.buckets.forEach((count, i) => {
    fields[`b${i}`] = String(count);
  });
  return fields;
}

/** The accumulator in a hash read with HGETALL (an empty hash is an empty accumulator). */
function decodeAccumulator(hash, bounds = []) {
  const num = (k) => (hash[k] === undefined ? 0 : Number(hash[k]));
  return {
    n: num('n'),
    sum: num('sum'),
    c: num('c'),
    mean: num('mean'),
    m2: num('m2'),
    min: hash.min === undefined ? null : Number(hash.min),
    max: hash.max === undefined ? null : Number(hash.max),
    buckets: histogram.emptyCounts(bounds).map((_, i) => num(`b${i}`)),
  };
}

/**
 * What a window reports, in the fields of aggregate.window.closed: the functions the rollup did
 * not ask for are null (count and sum are always there).
 */
function resultOf(acc, { functions, bounds }) {
  const wants = (f) => functions.includes(f);
  const empty = acc.n === 0;
  return {
    count: acc.n,
    sum: sum.sumOf(acc),
    min: wants('min') && !empty ? acc.min : null,
    max: wants('max') && !empty ? acc.max : null,
    mean: wants('mean') && !empty ? sum.sumOf(acc) / acc.n : null,
    variance: wants('variance') && !empty ? variance.varianceOf(acc) : null,
    histogram: wants('histogram') ? { bounds: bounds.slice(), counts: acc.buckets.slice() } : null,
  };
}

module.exports = { emptyAccumulator, accumulate, mergeAccumulators, encodeAccumulator, decodeAccumulator, resultOf };
