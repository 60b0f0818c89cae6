'use strict';

const { createPrng } = require('../../../../shared/utils/prng');

describe('prng from a seed', () => {
  test('the same seed gives the same sequence, another seed another one', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    const seqB = Array.from({ length: 20 }, () => b.next());
    const seqC = Array.from({ length: 20 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const x of seqA) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  test('produces the reference mulberry32 values', () => {
    const p = createPrng(1);
    expect([p.next(), p.next(), p.next()].map((x) => Math.round(x * 1e9))).toEqual([627073941, 2735721, 527447040]);
    expect(createPrng('seed').next()).toBe(createPrng('seed').next());
  });

  test('int covers both bounds inclusively and nothing outside', () => {
    const p = createPrng(7);
    const seen = new Set();
    for (let i = 0; i < 2000; i++) seen.add(p.int(-2, 3));
    expect([...seen].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(() => p.int(5, 1)).toThrow(/min <= max/);
  });

  test('shuffle returns a permutation without touching the input, pick an element', () => {
    const p = createPrng(99);
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const out = p.shuffle(input);
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...out].sort((x, y) => x - y)).toEqual(input);
    expect(createPrng(99).shuffle(input)).toEqual(out);
    expect(input).toContain(p.pick(input));
    expect(() => p.pick([])).toThrow(/non-empty/);
  });

  test('refuses a seed that is not an integer or a string', () => {
    expect(() => createPrng(1.5)).toThrow(expect.objectContaining({ code: 'DN_PRNG_SEED_INVALID' }));
    expect(() => createPrng(undefined)).toThrow(expect.objectContaining({ code: 'DN_PRNG_SEED_INVALID' }));
  });
});
