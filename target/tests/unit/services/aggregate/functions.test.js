'use strict';

const { addToSum, mergeSums, sumOf } = require('../../../../services/aggregate/src/functions/sum');
const variance = require('../../../../services/aggregate/src/functions/variance');
const { bucketIndex, emptyCounts, observe, cumulative } = require('../../../../services/aggregate/src/functions/histogram');
const { quantile } = require('../../../../services/aggregate/src/functions/quantile');
const acc = require('../../../../services/aggregate/src/functions/accumulator');
const { createPrng } = require('../../../../shared/utils/prng');

const sumAll = (values) => sumOf(values.reduce((s, v) => addToSum(s, v), { sum: 0, c: 0 }));
const histogramOf = (bounds, values) => values.reduce((counts, v) => observe(bounds, counts, v), emptyCounts(bounds));

describe('sum', () => {
  test('ten times 0.1 is exactly 1', () => {
    expect(sumAll(Array(10).fill(0.1))).toBe(1);
  });

  test('a million cents sum to exactly 10000', () => {
    expect(sumAll(Array(1_000_000).fill(0.01))).toBe(10_000);
  });

  test('a million prices with two decimals sum to their exact decimal total', () => {
    const prng = createPrng(42);
    const cents = Array.from({ length: 1_000_000 }, () => prng.int(1, 99_999));
    const exact = cents.reduce((a, b) => a + b, 0); // integer arithmetic: exact
    expect(sumAll(cents.map((c) => c / 100))).toBe(exact / 100);
  });

  test('small values next to a large one are not lost', () => {
    const values = [1e16, ...Array(1000).fill(1), -1e16];
    expect(sumAll(values)).toBe(1000);
  });

  test('tiny values keep their magnitude (nothing is rounded to a fixed number of decimals)', () => {
    expect(sumAll(Array(10).fill(1e-13))).toBeCloseTo(1e-12, 25);
    expect(sumAll([1e-300, 2e-300])).toBeCloseTo(3e-300, 310);
    expect(sumAll([0.000123456789, 0.000000000001])).toBe(0.00012345679);
  });

  test('integers and negative values sum exactly', () => {
    expect(sumAll([5, -3, 10, -12])).toBe(0);
    expect(sumAll([1e6, 2e6, 3e6])).toBe(6e6);
  });

  test('two partial sums merge to the sum of all values', () => {
    const a = Array(7).fill(0.1).reduce((s, v) => addToSum(s, v), { sum: 0, c: 0 });
    const b = Array(3).fill(0.1).reduce((s, v) => addToSum(s, v), { sum: 0, c: 0 });
    expect(sumOf(mergeSums(a, b))).toBe(1);
  });
});

describe('variance', () => {
  const run = (values) => values.reduce((s, v) => variance.observe(s, v), { n: 0, mean: 0, m2: 0 });

  test('population variance of 2, 4, 4, 4, 5, 5, 7, 9 is 4', () => {
    expect(variance.varianceOf(run([2, 4, 4, 4, 5, 5, 7, 9]))).toBeCloseTo(4, 12);
  });

  test('large values close together keep their small variance', () => {
    expect(variance.varianceOf(run([1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]))).toBeCloseTo(22.5, 6);
  });

  test('an empty window has no variance; one value has variance 0', () => {
    expect(variance.varianceOf(run([]))).toBeNull();
    expect(variance.varianceOf(run([3]))).toBe(0);
  });

  test('merged partial states give the variance of all values', () => {
    const merged = variance.merge(run([2, 4, 4, 4]), run([5, 5, 7, 9]));
    expect(merged.n).toBe(8);
    expect(variance.varianceOf(merged)).toBeCloseTo(4, 12);
  });
});

describe('histogram buckets have inclusive upper bounds (le)', () => {
  const bounds = [50, 100, 250];

  test('a value exactly on a bound counts in that bound’s bucket', () => {
    expect(bucketIndex(bounds, 50)).toBe(0);
    expect(bucketIndex(bounds, 100)).toBe(1);
    expect(bucketIndex(bounds, 250)).toBe(2);
  });

  test('bounds [50, 100, 250]: observing 100 gives cumulative le=100 count 1', () => {
    const counts = histogramOf(bounds, [100]);
    expect(counts).toEqual([0, 1, 0, 0]);
    expect(cumulative(bounds, counts).find((b) => b.le === 100).count).toBe(1);
  });

  test('values between bounds and above the last bound', () => {
    expect(histogramOf(bounds, [0, 49.9, 50.1, 99, 100.5, 249, 251, 1e9])).toEqual([2, 2, 2, 2]);
  });

  test('the ≤100 ms SLO ratio counts requests of exactly 100 ms as within it', () => {
    const latencies = [20, 50, 80, 100, 100, 100, 120, 300];
    const counts = histogramOf(bounds, latencies);
    const le100 = cumulative(bounds, counts).find((b) => b.le === 100).count;
    expect(le100 / latencies.length).toBe(6 / 8);
  });

  test('counts are per bucket, not cumulative, with one +Inf bucket', () => {
    const counts = histogramOf([1, 2, 3], [1, 2, 2, 3, 3, 3, 4]);
    expect(counts).toEqual([1, 2, 3, 1]);
    expect(cumulative([1, 2, 3], counts).map((b) => b.count)).toEqual([1, 3, 6, 7]);
  });
});

describe('quantiles from the histogram', () => {
  test('interpolate linearly inside the bucket holding the rank', () => {
    // buckets le 0: 6, le 0.5: 11, le 1: 14, +Inf: 19 (cumulative) → per bucket 6, 5, 3, 5
    const bounds = [0, 0.5, 1];
    const counts = [6, 5, 3, 5];
    expect(quantile(bounds, counts, 0.5)).toBeCloseTo(0.35, 12);
  });

  test('q = 1 in the +Inf bucket answers the highest bound; an empty histogram answers null', () => {
    expect(quantile([10, 20], [0, 1, 1], 1)).toBe(20);
    expect(quantile([10, 20], [0, 0, 0], 0.5)).toBeNull();
  });

  test('median of values observed on bounds', () => {
    const bounds = [50, 100, 250];
    const counts = histogramOf(bounds, [100, 100, 100, 100]);
    expect(quantile(bounds, counts, 0.5)).toBe(75);
  });
});

describe('accumulator', () => {
  const def = { functions: ['count', 'sum', 'min', 'max', 'mean', 'variance', 'histogram'], bounds: [1, 5] };

  test('reports every function the rollup asked for', () => {
    const a = [1, 5, 6].reduce((s, v) => acc.accumulate(s, v, def.bounds), acc.emptyAccumulator(def.bounds));
    expect(acc.resultOf(a, def)).toEqual({ count: 3, sum: 12, min: 1, max: 6, mean: 4, variance: 14 / 3, histogram: { bounds: [1, 5], counts: [1, 1, 1] } });
  });

  test('functions not asked for are null, count and sum are always there', () => {
    const a = acc.accumulate(acc.emptyAccumulator([]), 2.5, []);
    expect(acc.resultOf(a, { functions: ['count'], bounds: [] })).toEqual({ count: 1, sum: 2.5, min: null, max: null, mean: null, variance: null, histogram: null });
  });

  test('an accumulator survives its Redis encoding exactly', () => {
    const a = [0.1, 0.2, 0.30000000000000004, 1e-9].reduce((s, v) => acc.accumulate(s, v, def.bounds), acc.emptyAccumulator(def.bounds));
    expect(acc.decodeAccumulator(acc.encodeAccumulator(a), def.bounds)).toEqual(a);
  });

  test('two merged accumulators equal one over all values', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6];
    const all = values.reduce((s, v) => acc.accumulate(s, v, def.bounds), acc.emptyAccumulator(def.bounds));
    const left = values.slice(0, 3).reduce((s, v) => acc.accumulate(s, v, def.bounds), acc.emptyAccumulator(def.bounds));
    const right = values.slice(3).reduce((s, v) => acc.accumulate(s, v, def.bounds), acc.emptyAccumulator(def.bounds));
    const merged = acc.resultOf(acc.mergeAccumulators(left, right), def);
    const whole = acc.resultOf(all, def);
    expect(merged.variance).toBeCloseTo(whole.variance, 12);
    expect({ ...merged, variance: 0 }).toEqual({ ...whole, variance: 0 });
  });
});
