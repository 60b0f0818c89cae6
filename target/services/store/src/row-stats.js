'use strict';

/**
 * The statistics of a stored rollup row as the API and the downsampler use them. `count` is a
 * bigint column, which pg reads as a string.
 */
function statsOfRow(row) {
  return {
    count: Number(row.count),
    sum: row.sum,
    min: row.min,
    max: row.max,
    mean: row.mean,
    variance: row.variance,
    histogram: row.histogram,
  };
}

module.exports = { statsOfRow };
