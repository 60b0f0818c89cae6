'use strict';

const { parseConfig } = require('../../../../services/transform/src/config');

const base = { INTERNAL_TOKEN: 't' };

describe('transform config', () => {
  test('defaults: port 3003, a pool of 2 workers, one second per UDF call, 32 MB each', () => {
    const config = parseConfig(base);
    expect(config).toMatchObject({ PORT: 3003, UDF_POOL_SIZE: 2, UDF_TIMEOUT_MS: 1000, UDF_MEMORY_MB: 32, ENRICHMENT_TTL_MS: 60000 });
  });

  test('durations accept units and sizes are bounded', () => {
    expect(parseConfig({ ...base, UDF_TIMEOUT_MS: '2s', ENRICHMENT_TTL_MS: '5m', UDF_POOL_SIZE: '4' })).toMatchObject({ UDF_TIMEOUT_MS: 2000, ENRICHMENT_TTL_MS: 300000, UDF_POOL_SIZE: 4 });
    for (const bad of [{ UDF_POOL_SIZE: '0' }, { UDF_MEMORY_MB: '1' }, { UDF_TIMEOUT_MS: 'soon' }]) {
      expect(() => parseConfig({ ...base, ...bad })).toThrow(expect.objectContaining({ code: 'DN_CONFIG_INVALID' }));
    }
  });

  test('the internal token is required', () => {
    expect(() => parseConfig({})).toThrow(expect.objectContaining({ code: 'DN_CONFIG_INVALID' }));
  });
});
