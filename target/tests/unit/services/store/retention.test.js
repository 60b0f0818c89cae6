'use strict';

const { cutoffFor } = require('../../../../services/store/src/retention');
const { parseConfig } = require('../../../../services/store/src/config');

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1, 12);

// A tenant keeps its rollups for a number of days: a window is deleted once it started longer
// ago than that, never sooner.

describe('retention cutoff', () => {
  test('with 30 days of retention a window of yesterday is kept', () => {
    expect(cutoffFor(NOW, 30).getTime()).toBeLessThan(NOW - DAY);
  });

  test('with 30 days of retention, 31 days old is deleted and 29 days old is kept', () => {
    const cutoff = cutoffFor(NOW, 30).getTime();
    expect(NOW - 31 * DAY).toBeLessThan(cutoff);
    expect(NOW - 29 * DAY).toBeGreaterThanOrEqual(cutoff);
  });

  test.each([1, 7, 90, 365])('the cutoff of %i days is exactly that many days before now', (days) => {
    expect(cutoffFor(NOW, days).toISOString()).toBe(new Date(NOW - days * DAY).toISOString());
  });

  test('the default retention is 90 days and must be a positive number of days', () => {
    expect(parseConfig({ INTERNAL_TOKEN: 't' }).STORE_RETENTION_DAYS).toBe(90);
    expect(() => parseConfig({ INTERNAL_TOKEN: 't', STORE_RETENTION_DAYS: '0' })).toThrow(/STORE_RETENTION_DAYS/);
    expect(() => parseConfig({ INTERNAL_TOKEN: 't', STORE_RETENTION_DAYS: '30d' })).toThrow(/STORE_RETENTION_DAYS/);
  });
});
