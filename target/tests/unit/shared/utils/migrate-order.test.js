'use strict';

const { orderMigrations } = require('../../../../shared/utils/migrate');

describe('orderMigrations', () => {
  test('orders by numeric prefix, not as strings', () => {
    const files = ['10_rollups.sql', '2_tenants.sql', '1_init.sql', '12_views.sql', '3_events.sql', '11_x.sql'];
    expect(orderMigrations(files)).toEqual([
      '1_init.sql',
      '2_tenants.sql',
      '3_events.sql',
      '10_rollups.sql',
      '11_x.sql',
      '12_views.sql',
    ]);
  });

  test('accepts zero-padded prefixes and leaves the input array untouched', () => {
    const files = ['010_c.sql', '002_b.sql', '1_a.sql'];
    expect(orderMigrations(files)).toEqual(['1_a.sql', '002_b.sql', '010_c.sql']);
    expect(files).toEqual(['010_c.sql', '002_b.sql', '1_a.sql']);
  });

  test('orders a mix of zero-padded and plain prefixes by their value', () => {
    expect(orderMigrations(['10_d.sql', '002_b.sql', '1_a.sql', '03_c.sql', '9_e.sql', '0100_f.sql'])).toEqual([
      '1_a.sql',
      '002_b.sql',
      '03_c.sql',
      '9_e.sql',
      '10_d.sql',
      '0100_f.sql',
    ]);
  });

  test('rejects two files with the same number', () => {
    expect(() => orderMigrations(['1_a.sql', '2_b.sql', '02_c.sql'])).toThrow(
      expect.objectContaining({ code: 'DN_MIGRATION_ORDER', details: { version: 2, files: ['2_b.sql', '02_c.sql'] } }),
    );
  });

  test.each([['init.sql'], ['_1.sql'], ['1-init.sql'], ['1_init.txt'], ['1_.sql']])('rejects the unnumbered name %s', (name) => {
    expect(() => orderMigrations(['5_ok.sql', name])).toThrow(
      expect.objectContaining({ code: 'DN_MIGRATION_ORDER' }),
    );
  });
});
