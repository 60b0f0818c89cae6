'use strict';

const { createMatcher, validatePattern, compilePattern } = require('../../../../services/router/src/match');

// AMQP topic semantics: words are separated by dots, `*` is exactly one word, `#` is zero or more.
const TABLE = [
  ['metrics.cpu', 'metrics.cpu', true],
  ['metrics.cpu', 'metrics.mem', false],
  ['metrics.cpu', 'metrics.cpu.load', false],
  ['metrics.*', 'metrics.cpu', true],
  ['metrics.*', 'metrics', false],
  ['metrics.*', 'metrics.cpu.load', false],
  ['*.cpu', 'metrics.cpu', true],
  ['*.cpu', 'cpu', false],
  ['*', 'pageview', true],
  ['*', 'checkout.completed', false],
  ['*.*', 'checkout.completed', true],
  ['metrics.#', 'metrics.cpu', true],
  ['metrics.#', 'metrics.cpu.load.avg', true],
  ['metrics.#', 'metric', false],
  ['metrics.#', 'metricsx.cpu', false],
  ['#', 'pageview', true],
  ['#', 'a.b.c.d', true],
  ['#.completed', 'checkout.completed', true],
  ['#.completed', 'checkout.payment.completed', true],
  ['#.completed', 'checkout.completedx', false],
  ['a.#.z', 'a.b.c.z', true],
  ['a.*.#', 'a.b', true],
  ['a.*.#', 'a.b.c.d', true],
  ['a.*.#', 'a', false],
  ['shop-1.order_created', 'shop-1.order_created', true],
  ['shop-1.order_created', 'shop-1.orderXcreated', false],
];

// The cases where `#` stands for no word at all.
const ZERO_WORDS = [
  ['metrics.#', 'metrics', true],
  ['#.completed', 'completed', true],
  ['a.#.z', 'a.z', true],
  ['checkout.#.done.#', 'checkout.done', true],
  ['#.b.#', 'b', true],
  ['*.#', 'pageview', true],
];

describe('topic pattern semantics', () => {
  const matcher = createMatcher();
  test.each(TABLE)('%s against %s is %s', (pattern, key, expected) => {
    expect(matcher.matches(pattern, key)).toBe(expected);
  });
});

describe('hash matches zero words', () => {
  test.each(ZERO_WORDS)('%s against %s is %s', (pattern, key, expected) => {
    expect(createMatcher().matches(pattern, key)).toBe(expected);
  });

  test('select keeps the subscriptions of a key with no words beyond the prefix, in order', () => {
    const subs = [
      { id: 's1', pattern: 'metrics.#' },
      { id: 's2', pattern: 'metrics.*' },
      { id: 's3', pattern: '#' },
      { id: 's4', pattern: 'metrics' },
    ];
    const m = createMatcher();
    expect(m.select(subs, 'metrics').map((s) => s.id)).toEqual(['s1', 's3', 's4']);
    expect(m.select(subs, 'metrics.cpu').map((s) => s.id)).toEqual(['s1', 's2', 's3']);
  });
});

describe('pattern validation', () => {
  test.each(['metrics.#', '*', '#', 'a.*.b', 'shop-1.order_created', 'A.B9'])('accepts %s', (pattern) => {
    expect(validatePattern(pattern)).toBe(pattern);
  });

  test.each([
    ['', 'empty'],
    ['a..b', 'empty word'],
    ['.a', 'leading dot'],
    ['a.', 'trailing dot'],
    ['a.(b|c)', 'regex alternation'],
    ['a.b+', 'regex quantifier'],
    ['a.*b', 'star inside a word'],
    ['a.#b', 'hash inside a word'],
    ['a.#.#', 'adjacent hashes'],
    ['#.a.#.b.#.c.#', 'four hashes'],
  ])('refuses %j (%s)', (pattern) => {
    expect(() => validatePattern(pattern)).toThrow(expect.objectContaining({ code: 'ROUTER_PATTERN_INVALID' }));
  });

  test('refuses non-strings, too many words and too long patterns', () => {
    for (const bad of [undefined, null, 3, ['a'], { a: 1 }]) {
      expect(() => validatePattern(bad)).toThrow(expect.objectContaining({ code: 'ROUTER_PATTERN_INVALID' }));
    }
    expect(() => validatePattern(Array(33).fill('a').join('.'))).toThrow(expect.objectContaining({ code: 'ROUTER_PATTERN_INVALID' }));
    expect(validatePattern(Array(32).fill('a').join('.'))).toBeDefined();
    expect(() => validatePattern('x'.repeat(256))).toThrow(expect.objectContaining({ code: 'ROUTER_PATTERN_INVALID' }));
  });

  test('a compiled literal matches only itself: no word is read as a regular expression', () => {
    const re = compilePattern('a-b.c_d');
    expect(re.test('.a-b.c_d')).toBe(true);
    expect(re.test('.aab.c_d')).toBe(false);
  });
});
