'use strict';

const { createBucket, refill, take, normalizePolicy } = require('../../../../services/gateway/src/ratelimit/tokenBucket');
const { createLocalBuckets } = require('../../../../services/gateway/src/ratelimit/localBuckets');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('token bucket arithmetic', () => {
  test('a new bucket starts full and allows a burst', () => {
    const policy = normalizePolicy({ rate: 1, burst: 3 });
    const bucket = createBucket(0, policy);
    const results = [1, 2, 3, 4].map(() => take(bucket, 0, policy).allowed);
    expect(results).toEqual([true, true, true, false]);
  });

  test('a client polling faster than the refill rate still earns tokens at that rate', () => {
    const clock = createFakeClock(0);
    const policy = normalizePolicy({ rate: 1, burst: 1 });
    const bucket = createBucket(clock.now(), policy);
    let allowed = 0;
    for (let t = 0; t <= 2100; t += 400) {
      clock.advance(t - clock.now());
      if (take(bucket, clock.now(), policy).allowed) allowed += 1;
    }
    // Allowed at 0 ms and at 1200 ms, the first poll after the next token was earned.
    expect(allowed).toBeGreaterThanOrEqual(2);
  });

  test('partial time is kept: time short of a whole token counts towards the next one', () => {
    const policy = normalizePolicy({ rate: 2, burst: 10 }); // one token per 500 ms
    const bucket = createBucket(0, policy);
    expect(take(bucket, 0, policy, 10)).toMatchObject({ allowed: true, remaining: 0 });
    expect(take(bucket, 1250, policy)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    expect(take(bucket, 1499, policy)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(take(bucket, 1499, policy)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1 });
    expect(take(bucket, 1500, policy)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  test('tokens never exceed the burst, and a full bucket restarts its clock', () => {
    const policy = normalizePolicy({ rate: 10, burst: 5 });
    const bucket = { tokens: 4, lastRefill: 0 };
    refill(bucket, 60000, policy);
    expect(bucket).toEqual({ tokens: 5, lastRefill: 60000 });
  });

  test('retryAfterMs says when the next token arrives', () => {
    const policy = normalizePolicy({ rate: 4, burst: 1 });
    const bucket = createBucket(0, policy);
    take(bucket, 0, policy);
    expect(take(bucket, 100, policy)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 150 });
    expect(take(bucket, 250, policy).allowed).toBe(true);
  });

  test('a cost larger than one takes several tokens or none', () => {
    const policy = normalizePolicy({ rate: 1, burst: 5 });
    const bucket = createBucket(0, policy);
    expect(take(bucket, 0, policy, 4)).toMatchObject({ allowed: true, remaining: 1 });
    expect(take(bucket, 0, policy, 2)).toMatchObject({ allowed: false, remaining: 1 });
  });

  test('policies with a non-positive rate or a fractional burst are refused', () => {
    expect(() => normalizePolicy({ rate: 0, burst: 1 })).toThrow(/rate/);
    expect(() => normalizePolicy({ rate: 1, burst: 1.5 })).toThrow(/burst/);
    expect(() => normalizePolicy({ rate: '10', burst: '2' })).not.toThrow();
  });

  test('local buckets are kept per key and bounded in number', () => {
    const policy = normalizePolicy({ rate: 1, burst: 1 });
    const local = createLocalBuckets({ maxEntries: 2 });
    expect(local.take('a', 0, policy).allowed).toBe(true);
    expect(local.take('a', 0, policy).allowed).toBe(false);
    expect(local.take('b', 0, policy).allowed).toBe(true);
    local.take('c', 0, policy);
    expect(local.size()).toBe(2);
  });
});
