'use strict';

const { createUpstreams } = require('../../../../services/gateway/src/upstreams');
const { createFakeClock } = require('../../../../shared/utils/clock');

function registryOf(table) {
  return { lookup: jest.fn(async (name) => table[name] || []) };
}

describe('upstream cache', () => {
  test('instances are picked round-robin from one registry lookup', async () => {
    const clock = createFakeClock(0);
    const registry = registryOf({ query: [{ host: 'h', port: 1 }, { host: 'h', port: 2 }] });
    const upstreams = createUpstreams({ registry, clock, ttlMs: 1000 });
    const ports = [];
    for (let i = 0; i < 4; i += 1) ports.push((await upstreams.resolve('query')).port);
    expect(ports).toEqual([1, 2, 1, 2]);
    expect(registry.lookup).toHaveBeenCalledTimes(1);
  });

  test('entries expire after the TTL on the gateway clock', async () => {
    const clock = createFakeClock(0);
    const table = { query: [{ host: 'h', port: 1 }] };
    const registry = registryOf(table);
    const upstreams = createUpstreams({ registry, clock, ttlMs: 1000 });
    await upstreams.resolve('query');
    table.query = [{ host: 'h', port: 9 }];
    clock.advance(999);
    expect((await upstreams.resolve('query')).port).toBe(1);
    clock.advance(1);
    expect((await upstreams.resolve('query')).port).toBe(9);
  });

  test('invalidate forces a fresh lookup', async () => {
    const clock = createFakeClock(0);
    const table = { query: [{ host: 'h', port: 1 }] };
    const upstreams = createUpstreams({ registry: registryOf(table), clock, ttlMs: 60000 });
    await upstreams.resolve('query');
    table.query = [{ host: 'h', port: 2 }];
    upstreams.invalidate('query');
    expect((await upstreams.resolve('query')).port).toBe(2);
  });

  test('a service without instances is GATEWAY_NO_UPSTREAM', async () => {
    const upstreams = createUpstreams({ registry: registryOf({}), clock: createFakeClock(0), ttlMs: 1000 });
    await expect(upstreams.resolve('billing')).rejects.toMatchObject({ code: 'GATEWAY_NO_UPSTREAM', statusCode: 503 });
  });
});
