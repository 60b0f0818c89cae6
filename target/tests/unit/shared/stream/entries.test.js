'use strict';

const { compareIds, toEntry } = require('../../../../shared/stream');

describe('stream entries', () => {
  test('compares stream ids numerically by time and then sequence', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('1700000000000-5', '1700000000000-5')).toBe(0);
    expect(compareIds('1700000000001-0', '1700000000000-99')).toBeGreaterThan(0);
  });

  test('turns a reply entry into an id and a field object, keeping deleted entries as null', () => {
    expect(toEntry(['1-0', ['a', '1', 'b', 'x']])).toEqual({ id: '1-0', fields: { a: '1', b: 'x' } });
    expect(toEntry(['2-0', null])).toEqual({ id: '2-0', fields: null });
  });
});
