'use strict';

const { cumulative } = require('./histogram');

// Quantiles are estimated from a window's histogram, the way PromQL's histogram_quantile does:
// find the bucket holding rank q·total and interpolate linearly between its lower and upper
// bound. A quantile in the +Inf bucket answers the highest finite bound; the first bucket's lower
// bound is 0 when its upper bound is positive (values are assumed non-negative there), otherwise
// the bucket's own bound. So the estimate is only as fine as the bounds chosen for the rollup.

/**
 * @param {number[]} bounds
 * @param {number[]} counts per bucket (bounds.length + 1)
 * @param {number} q in [0, 1]
 * @returns {number|null} null when the histogram is empty
 */
function quantile(bounds, counts, q) {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const buckets = cumulative(bounds, counts);
  const total = buckets[buckets.length - 1].count;
  if (total === 0) return null;
  const rank = q * total;
  let i = buckets.findIndex((b) => b.count >= rank);
  if (i < 0) i = buckets.length - 1;
  if (i === buckets.length - 1) return bounds.length > 0 ? bounds[bounds.length - 1] : null;
  const upper = buckets[i].le;
  const lower = i === 0 ? (upper > 0 ? 0 : upper) : buckets[i - 1].le;
  const below = i === 0 ? 0 : buckets[i - 1].count;
  const inBucket = buckets[i].count - below;
  if (inBucket === 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

module.exports = { quantile };
