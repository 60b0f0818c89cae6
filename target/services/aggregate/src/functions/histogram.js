'use strict';

// Histograms with inclusive upper bounds, like Prometheus' `le` buckets: bucket i counts the
// values v with bounds[i-1] < v <= bounds[i]; one more bucket after the last bound counts the
// rest (+Inf). Counts are per bucket, not cumulative.

/** Index of the bucket `value` falls in (bounds sorted ascending). */
function bucketIndex(bounds, value) {
  let lo = 0;
  let hi = bounds.length;
  // First bound the value does not exceed.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value < bounds[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function emptyCounts(bounds) {
  return new Array(bounds.length + 1).fill(0);
}

/** Counts after observing `value`. */
function observe(bounds, counts, value) {
  const next = counts.slice();
  next[bucketIndex(bounds, value)] += 1;
  return next;
}

function merge(a, b) {
  return a.map((n, i) => n + b[i]);
}

/** `[{ le, count }]` running totals, the form quantiles are read from. */
function cumulative(bounds, counts) {
  let total = 0;
  return counts.map((n, i) => {
    total += n;
    return { le: i < bounds.length ? bounds[i] : Infinity, count: total };
  });
}

module.exports = { bucketIndex, emptyCounts, observe, merge, cumulative };
