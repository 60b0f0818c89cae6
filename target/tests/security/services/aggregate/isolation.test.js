'use strict';

const { useNamespace } = require('../../../support/namespace');
const { call } = require('../../../support/http');
const { aggregateHarness } = require('../../../unit/services/aggregate/harness');
const { routed, tumbling } = require('../../../unit/services/aggregate/fixtures');

// Tenants see and feed only their own rollups; definitions cannot smuggle in unbounded work or
// names that reach Object.prototype.

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MIN = 60_000;
const ns = useNamespace({ databases: ['pipeline', 'metrics'] });
let h;

beforeAll(async () => {
  h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1', AGGREGATE_MAX_ROLLUPS: '5' } });
});

describe('tenant isolation', () => {
  test('a tenant cannot read, list or delete another tenant’s rollup', async () => {
    await h.api('t-a').rollup(tumbling('secret', MIN));
    const b = h.api('t-b');
    expect((await b.get('/v1/rollups/secret')).statusCode).toBe(404);
    expect((await b.get('/v1/rollups')).json().items).toEqual([]);
    expect((await b.del('/v1/rollups/secret')).statusCode).toBe(404);
    expect((await h.api('t-a').get('/v1/rollups/secret')).statusCode).toBe(200);
  }, 120_000);

  test('two tenants with the same rollup id and series count only their own records', async () => {
    await h.api('t-x').rollup(tumbling('shared-name', MIN, { groupBy: ['country'] }));
    await h.api('t-y').rollup(tumbling('shared-name', MIN, { groupBy: ['country'] }));
    const ev = (tenantId, o) => routed({ tenantId, ts: T0 + o, dimensions: { country: 'DE' } });
    await h.feed([ev('t-x', 1000), ev('t-x', 2000), ev('t-x', 3000), ev('t-y', 4000), ev('t-x', MIN), ev('t-y', MIN)]);
    const first = h.emitted().filter((e) => e.data.rollupId === 'shared-name' && e.data.windowStart === new Date(T0).toISOString());
    expect(first.map((e) => [e.tenantId, e.data.count]).sort()).toEqual([['t-x', 3], ['t-y', 1]]);
  }, 120_000);

  test('changing rollups needs a writer role and a caller asserted by the gateway', async () => {
    const viewer = h.api('t-viewer', 'viewer');
    const res = await viewer.post('/v1/rollups', tumbling('nope', MIN));
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('AGGREGATE_FORBIDDEN');
    const anonymous = await call(h.service.app, { method: 'GET', url: '/v1/rollups', headers: { 'x-tenant-id': 't-viewer', 'x-user-role': 'admin' } });
    expect(anonymous.statusCode).toBe(401);
    // A tenant named in the body is not the caller's: the rollup is never another tenant's.
    const forged = await h.api('t-viewer').post('/v1/rollups', { ...tumbling('forged', MIN), tenantId: 't-a' });
    expect([201, 400]).toContain(forged.statusCode);
    expect((await h.api('t-a').get('/v1/rollups/forged')).statusCode).toBe(404);
  }, 120_000);
});

describe('hostile definitions', () => {
  test('oversized definitions are refused: too many dimensions, bounds, windows per event or rollups', async () => {
    const api = h.api('t-big');
    const codes = async (def) => {
      const res = await api.post('/v1/rollups', def);
      return [res.statusCode, res.json().code];
    };
    expect(await codes(tumbling('dims', MIN, { groupBy: Array.from({ length: 9 }, (_, i) => `d${i}`) }))).toEqual([400, 'AGGREGATE_INVALID_REQUEST']);
    expect(await codes(tumbling('bounds', MIN, { functions: ['histogram'], histogram: { bounds: Array.from({ length: 65 }, (_, i) => i) } }))).toEqual([400, 'AGGREGATE_INVALID_REQUEST']);
    expect(await codes({ rollupId: 'hops', field: 'count', window: { kind: 'hopping', sizeMs: 7 * 86_400_000, advanceMs: 1 } })).toEqual([400, 'AGGREGATE_ROLLUP_INVALID']);
    expect(await codes(tumbling('unsorted', MIN, { functions: ['histogram'], histogram: { bounds: [5, 1] } }))).toEqual([400, 'AGGREGATE_ROLLUP_INVALID']);
    for (let i = 0; i < 5; i += 1) await api.rollup(tumbling(`r${i}`, MIN));
    expect(await codes(tumbling('r5', MIN))).toEqual([409, 'AGGREGATE_LIMIT_EXCEEDED']);
    const huge = await api.post('/v1/rollups', { ...tumbling('huge', MIN), eventName: 'x'.repeat(2_000_000) });
    expect([400, 413]).toContain(huge.statusCode);
  }, 120_000);

  test('__proto__, constructor and prototype are refused as dimension and field names', async () => {
    const api = h.api('t-proto');
    for (const def of [
      tumbling('p1', MIN, { groupBy: ['__proto__'] }),
      tumbling('p2', MIN, { groupBy: ['constructor'] }),
      { ...tumbling('p3', MIN), field: 'properties.__proto__' },
      { ...tumbling('p4', MIN), field: 'properties.prototype' },
      { ...tumbling('p5', MIN), field: 'properties.a.b' },
    ]) {
      const res = await api.post('/v1/rollups', def);
      expect([res.statusCode, res.json().code]).toEqual([400, 'AGGREGATE_ROLLUP_INVALID']);
    }
  }, 120_000);

  test('records carrying __proto__ dimensions and properties change neither Object.prototype nor other series', async () => {
    await h.api('t-pollute').rollup({ rollupId: 'pollute', field: 'properties.v', groupBy: ['country'], window: { kind: 'tumbling', sizeMs: MIN } });
    const hostile = routed({ tenantId: 't-pollute', ts: T0 + 10 * MIN + 1000, properties: { v: 1 }, dimensions: { country: 'DE' } });
    const json = JSON.stringify(hostile)
      .replace('"dimensions":{', '"dimensions":{"__proto__":{"polluted":"yes","country":"XX"},')
      .replace('"properties":{', '"properties":{"__proto__":{"v":1000,"polluted":"yes"},');
    await h.feed([JSON.parse(json), routed({ tenantId: 't-pollute', ts: T0 + 11 * MIN, properties: { v: 1 }, dimensions: { country: 'DE' } })]);
    expect({}.polluted).toBeUndefined();
    expect(Object.prototype.country).toBeUndefined();
    const [w] = h.windows('pollute');
    expect(w).toMatchObject({ seriesKey: 'country=DE', count: 1, sum: 1 });
  }, 120_000);
});
