'use strict';

const { normalizeRange } = require('../../../../services/store/src/queries');
const { toCsv, csvCell } = require('../../../../services/store/src/exports');
const { partitionName } = require('../../../../services/store/src/partitions');
const { parseConfig } = require('../../../../services/store/src/config');

describe('ranges', () => {
  test('from is taken at the start of its minute; to is kept as given', () => {
    const r = normalizeRange('2024-05-01T10:00:59.999Z', '2024-05-01T10:30:00.001Z');
    expect([r.from.toISOString(), r.to.toISOString()]).toEqual(['2024-05-01T10:00:00.000Z', '2024-05-01T10:30:00.001Z']);
  });

  test.each([
    ['2024-05-01T10:00:00.000Z', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T10:00:30.000Z', '2024-05-01T09:00:00.000Z'],
    ['yesterday', '2024-05-01T10:00:00.000Z'],
  ])('from %s to %s is STORE_RANGE_INVALID', (from, to) => {
    expect(() => normalizeRange(from, to)).toThrow(expect.objectContaining({ code: 'STORE_RANGE_INVALID' }));
  });
});

describe('CSV', () => {
  test('series keys with commas are quoted, nulls are empty, lines end in CRLF', () => {
    const csv = toCsv([{ seriesKey: 'country=DE,plan=pro', points: [{ windowStart: 'a', windowEnd: 'b', count: 0, sum: 0, min: null, max: null, mean: null, variance: null }] }]);
    expect(csv).toBe('seriesKey,windowStart,windowEnd,count,sum,min,max,mean,variance\r\n"country=DE,plan=pro",a,b,0,0,,,,\r\n');
  });

  test('text a spreadsheet would evaluate is neutralised; numbers are not', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(-3.5)).toBe('-3.5');
  });
});

describe('partitions and configuration', () => {
  test('one partition per UTC day, named after it', () => {
    expect(partitionName(Date.UTC(2024, 0, 31, 23, 59, 59, 999))).toBe('store_rollups_p20240131');
    expect(partitionName(Date.UTC(2024, 1, 1))).toBe('store_rollups_p20240201');
  });

  test('defaults, and a bad value names its variable', () => {
    const config = parseConfig({ INTERNAL_TOKEN: 't' });
    expect(config).toMatchObject({ PORT: 3006, STORE_PREFETCH: 32, STORE_MAX_ATTEMPTS: 10, STORE_COMPACT_MIN_SEGMENTS: 8, STORE_MAX_POINTS: 100000, STORE_MAINTENANCE_INTERVAL_MS: 300000 });
    expect(() => parseConfig({ INTERNAL_TOKEN: 't', STORE_COMPACT_MIN_SEGMENTS: '1' })).toThrow(/STORE_COMPACT_MIN_SEGMENTS/);
    expect(() => parseConfig({})).toThrow(/INTERNAL_TOKEN/);
  });
});
