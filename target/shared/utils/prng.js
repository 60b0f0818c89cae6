'use strict';

// Pseudo-random numbers from a seed (mulberry32). Anything that needs randomness (jitter, sampling,
// test data) takes a PRNG built from a seed, so a run can be replayed exactly.

const { ERRORS, createError } = require('./errors');

// FNV-1a: turns a string seed into a 32-bit state.
function hashString(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedToState(seed) {
  if (typeof seed === 'string') return hashString(seed);
  if (typeof seed === 'number' && Number.isInteger(seed)) return seed >>> 0;
  if (typeof seed === 'bigint') return Number(BigInt.asUintN(32, seed));
  throw createError(ERRORS.DN_PRNG_SEED_INVALID, `PRNG seed must be an integer or a string, got ${String(seed)}`, {
    details: { seed: String(seed) },
  });
}

/**
 * @param {number|string|bigint} seed
 */
function createPrng(seed) {
  let state = seedToState(seed);

  function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  function int(min, max) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw createError(ERRORS.DN_ARGUMENT_INVALID, `prng.int expects integers min <= max, got ${min}, ${max}`);
    }
    return min + Math.floor(next() * (max - min + 1));
  }

  function pick(arr) {
    if (!arr || arr.length === 0) throw createError(ERRORS.DN_ARGUMENT_INVALID, 'prng.pick needs a non-empty array');
    return arr[Math.floor(next() * arr.length)];
  }

  /** Fisher-Yates over a copy; the input is left untouched. */
  function shuffle(arr) {
    const out = [...arr];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  return {
    next,
    int,
    pick,
    shuffle,
    bool: (p = 0.5) => next() < p,
    /** An independent generator whose sequence depends on this one's seed and the label. */
    fork: (label) => createPrng(hashString(`${state}:${label}`)),
  };
}

module.exports = { createPrng, hashString };
