'use strict';

// AMQP topic patterns, as subscriptions use them: a pattern and a routing key are words separated
// by dots; in a pattern `*` stands for exactly one word and `#` for zero or more words
// (`metrics.#` matches `metrics`, `metrics.cpu` and `metrics.cpu.load`).
//
// A pattern becomes a regular expression that is tested against the routing key with a dot put in
// front of it, so every word of the key is "a dot and what follows up to the next dot" and a
// pattern word maps to one such unit (`#` to any number of them). Every event is tested against
// the same few patterns, so the matcher keeps a bounded cache.

const { routerError } = require('./errors');

const MAX_PATTERN_LENGTH = 255;
const MAX_PATTERN_WORDS = 32;
// Each `#` multiplies the ways a key can be split; more than a few buys nothing a subscriber needs.
const MAX_HASHES = 3;
const LITERAL_WORD = /^[A-Za-z0-9_-]+$/;
const DEFAULT_CACHE_SIZE = 10_000;

/**
 * Checks a binding pattern a tenant sends; throws ROUTER_PATTERN_INVALID with the reason.
 * Words are `*`, `#` or letters, digits, `_` and `-`; no empty words.
 */
function validatePattern(pattern) {
  const invalid = (why) => routerError('ROUTER_PATTERN_INVALID', `pattern ${JSON.stringify(String(pattern).slice(0, 64))} is invalid: ${why}`);
  if (typeof pattern !== 'string' || pattern === '') throw invalid('expected a non-empty string');
  if (pattern.length > MAX_PATTERN_LENGTH) throw invalid(`longer than ${MAX_PATTERN_LENGTH} characters`);
  const words = pattern.split('.');
  if (words.length > MAX_PATTERN_WORDS) throw invalid(`more than ${MAX_PATTERN_WORDS} words`);
  let hashes = 0;
  words.forEach((word, i) => {
    if (word === '#') {
      hashes += 1;
      if (words[i + 1] === '#') throw invalid('"#.#" is the same as "#"');
    } else if (word !== '*' && !LITERAL_WORD.test(word)) {
      throw invalid(`word ${i + 1} must be "*", "#" or letters, digits, "_" and "-"`);
    }
  });
  if (hashes > MAX_HASHES) throw invalid(`more than ${MAX_HASHES} "#" words`);
  return pattern;
}

function escapeWord(word) {
  return word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The regular expression of a valid pattern, to be tested against `'.' + routingKey`. */
function compilePattern(pattern) {
  const parts = pattern.split('.').map((word) => {
    if (word === '#') return '(?:\\.[^.]*)+';
    if (word === '*') return '\\.[^.]*';
    return `\\.${escapeWord(word)}`;
  });
  return new RegExp(`^${parts.join('')}$`);
}

/**
 * A matcher with its cache of results.
 * `stats()` → `{ compiled, cached }`: patterns compiled since creation, and results held.
 * @param {{ cacheSize?: number }} [options] results kept (oldest go first)
 */
function createMatcher({ cacheSize = DEFAULT_CACHE_SIZE } = {}) {
  const cache = new Map();
  let compiled = 0;

  /** Whether routing key `key` matches `pattern`. */
  function matches(pattern, key) {
    const entry = `${pattern} ${key}`;
    let hit = cache.get(entry);
    if (hit === undefined) {
      hit = compilePattern(pattern).test(`.${key}`);
      compiled += 1;
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value);
      cache.set(entry, hit);
    }
    return hit;
  }

  /** The subscriptions (`{ pattern }`) whose pattern matches `key`, in their given order. */
  function select(subscriptions, key) {
    return subscriptions.filter((sub) => matches(sub.pattern, key));
  }

  return {
    matches,
    select,
    stats: () => ({ compiled, cached: cache.size }),
  };
}

module.exports = { createMatcher, validatePattern, compilePattern, MAX_PATTERN_LENGTH, MAX_PATTERN_WORDS, MAX_HASHES };
