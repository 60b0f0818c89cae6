'use strict';

const { combine, mergeHistograms } = require('../../../../services/store/src/downsample');
const { createPrng } = require('../../../../shared/utils/prng');
const { statsOf } = require('./fixtures');

// Downsampling combines stored windows into hours and hours into days. What a dashboard shows at
// 1 h must be what the raw events give: every event weighs the same, however the events were
// spread over the minutes.

const close = (actual, expected) => expect(actual).toBeCloseTo(expected, 9);

describe('combining windows', () => {
  test('a sparse minute does not outweigh a busy one: 1 event of 10 and 99 of 0 average 0.1', () => {
    const c = combine([statsOf([10]), statsOf(Array(99).fill(0))]);
    expect(c.count).toBe(100);
    expect(c.sum).toBe(10);
    close(c.mean, 0.1);
  });

  test('the variance of the hour is that of all its events, not an average of the minutes\'', () => {
    const c = combine([statsOf([10]), statsOf(Array(99).fill(0))]);
    close(c.variance, 0.99);
  });

  test('count, sum, min and max add up and bound over the parts', () => {
    const c = combine([statsOf([3, 9]), statsOf([-4]), statsOf([7, 7, 7])]);
    expect(c).toMatchObject({ count: 6, sum: 29, min: -4, max: 9 });
    close(c.mean, 29 / 6);
  });

  test('empty windows count for nothing; nothing at all gives nulls', () => {
    const c = combine([statsOf([]), statsOf([2, 4]), statsOf([])]);
    expect(c).toMatchObject({ count: 2, sum: 6, min: 2, max: 4 });
    close(c.mean, 3);
    close(c.variance, 1);
    expect(combine([statsOf([]), statsOf([])])).toEqual({ count: 0, sum: 0, min: null, max: null, mean: null, variance: null, histogram: null });
  });

  test.each([1, 2, 3, 4, 5])('random minutes (seed %i) combine to the figures of all their events', (seed) => {
    const prng = createPrng(seed);
    const minutes = Array.from({ length: prng.int(2, 60) }, () => Array.from({ length: prng.int(0, 40) }, () => prng.int(-500, 500) / 4));
    const all = minutes.flat();
    const c = combine(minutes.map((values) => statsOf(values)));
    const direct = statsOf(all);
    expect(c.count).toBe(direct.count);
    close(c.sum, direct.sum);
    expect(c.min).toBe(direct.min);
    expect(c.max).toBe(direct.max);
    if (direct.count > 0) {
      expect(c.mean).toBeCloseTo(direct.mean, 6);
      expect(c.variance).toBeCloseTo(direct.variance, 6);
    }
  });

  test('an hour combined into a day gives the day of all the events (two levels)', () => {
    const prng = createPrng('two-levels');
    const hours = Array.from({ length: 24 }, (_, h) => Array.from({ length: 60 }, () => Array.from({ length: h % 5 === 0 ? 0 : prng.int(0, 3 * h) }, () => prng.int(0, 1000))));
    const day = combine(hours.map((minutes) => combine(minutes.map((v) => statsOf(v)))));
    const direct = statsOf(hours.flat(2));
    expect(day.count).toBe(direct.count);
    expect(day.mean).toBeCloseTo(direct.mean, 6);
    expect(day.variance).toBeCloseTo(direct.variance, 4);
  });
});

describe('histograms', () => {
  test('histograms with the same bounds add up bucket by bucket, the +Inf bucket included', () => {
    const bounds = [10, 100];
    const c = combine([statsOf([5, 10, 11], bounds), statsOf([100, 101, 1e6], bounds)]);
    expect(c.histogram).toEqual({ bounds: [10, 100], counts: [2, 2, 2] });
    expect(c.histogram.counts.reduce((a, b) => a + b, 0)).toBe(c.count);
  });

  test('histograms with other bounds, or parts without one, cannot be merged: no histogram', () => {
    expect(mergeHistograms([{ bounds: [1, 2], counts: [1, 0, 0] }, { bounds: [1, 3], counts: [0, 1, 0] }])).toBeNull();
    expect(mergeHistograms([{ bounds: [1], counts: [1, 0] }, null])).toBeNull();
    expect(mergeHistograms([null, null])).toBeNull();
  });
});
