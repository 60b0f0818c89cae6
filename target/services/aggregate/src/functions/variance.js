'use strict';

// Mean and population variance of a window, kept online (Welford): `mean` is the running mean
// and `m2` the sum of squared deviations from it, so the variance does not suffer the
// cancellation of Σx² − (Σx)²/n when values are large and close together.

/** `{ n, mean, m2 }` after observing `value` (n already counts the values before it). */
function observe({ n, mean, m2 }, value) {
  const count = n + 1;
  const delta = value - mean;
  const nextMean = mean + delta / count;
  return { n: count, mean: nextMean, m2: m2 + delta * (value - nextMean) };
}

/** Two partial states combined (Chan et al.). */
function merge(a, b) {
  if (a.n === 0) return { ...b };
  if (b.n === 0) return { ...a };
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  return { n, mean: a.mean + (delta * b.n) / n, m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n };
}

/** Population variance; null for an empty window. */
function varianceOf({ n, m2 }) {
  if (n === 0) return null;
  return Math.max(0, m2 / n);
}

module.exports = { observe, merge, varianceOf };
