'use strict';

const { parseConfig, init } = require('../../../../services/gateway/src/config');

function stubRegistry(value) {
  return { kv: { get: async () => value } };
}

// The documented contract of loadConfig: a stored table that cannot be used fails the boot.
// Serving the defaults or no routes instead would hide a broken deploy behind 404s.
describe('gateway boot with a stored route table', () => {
  test('init refuses a malformed route table instead of starting without it', async () => {
    const config = parseConfig({ INTERNAL_TOKEN: 't' });
    await expect(init({ config, registry: stubRegistry([1, 2]) })).rejects.toThrow(/array/);
    await expect(init({ config, registry: stubRegistry('not json') })).rejects.toThrow(SyntaxError);
    await expect(init({ config, registry: stubRegistry(42) })).rejects.toThrow(/number/);
  });
});
