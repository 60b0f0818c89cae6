'use strict';

const { combineWatermarks } = require('../../../../services/aggregate/src/watermark');

// combineWatermarks(partitions, now, idleTimeoutMs): partitions [{ partition, watermark, activeAt }].
const IDLE = 10_000;
const part = (partition, watermark, activeAt = 100_000) => ({ partition, watermark, activeAt });

describe('combined watermark over active partitions', () => {
  test('partitions at 1000 and 5000: the combined watermark is 1000, so an event at 2000 is not behind it', () => {
    const wm = combineWatermarks([part(0, 1000), part(1, 5000)], 100_000, IDLE);
    expect(wm).toBe(1000);
    expect(2000 >= wm).toBe(true);
  });

  test('the slowest of three active partitions holds the watermark', () => {
    expect(combineWatermarks([part(0, 9000), part(1, 3000), part(2, 7000)], 100_000, IDLE)).toBe(3000);
  });

  test('partitions that never saw an event do not count; none at all gives null', () => {
    expect(combineWatermarks([part(0, null, null), part(1, 4000)], 100_000, IDLE)).toBe(4000);
    expect(combineWatermarks([part(0, null, null), part(1, null, null)], 100_000, IDLE)).toBeNull();
  });

  test('one partition is enough', () => {
    expect(combineWatermarks([part(0, 12_345)], 100_000, IDLE)).toBe(12_345);
  });
});

describe('idle partitions', () => {
  test('a partition quiet for longer than the idle timeout no longer holds the watermark back', () => {
    const parts = [part(0, 1000, 80_000), part(1, 50_000, 99_000), part(2, 60_000, 99_500)];
    expect(combineWatermarks(parts, 100_000, IDLE)).toBe(50_000);
  });

  test('a partition quiet for less than the idle timeout still holds it', () => {
    const parts = [part(0, 1000, 95_000), part(1, 50_000, 99_000)];
    expect(combineWatermarks(parts, 100_000, IDLE)).toBe(1000);
  });

  test('an idle partition does not let the watermark pass an active slow one', () => {
    const parts = [part(0, 90_000, 10_000), part(1, 20_000, 99_000), part(2, 40_000, 99_000)];
    expect(combineWatermarks(parts, 100_000, IDLE)).toBe(20_000);
  });

  test('when every partition is idle the latest watermark counts, so the last windows close', () => {
    const parts = [part(0, 1000, 10_000), part(1, 7000, 20_000)];
    expect(combineWatermarks(parts, 100_000, IDLE)).toBe(7000);
  });
});
