'use strict';

const crypto = require('node:crypto');
const { useNamespace } = require('../../../support/namespace');
const { loadFixture, validateEnvelope, shapeDifferences } = require('../../../../shared/contracts');
const { aggregateHarness } = require('../../../unit/services/aggregate/harness');

// Aggregate consumes router.routed exactly as the router's contract example shows it and emits
// aggregate.window.closed as its own contract (shared/contracts/aggregate) describes it, which
// store codes against.

const ns = useNamespace({ databases: ['pipeline', 'metrics'] });
const S = 1000;

const idOf = (tenantId, d) =>
  `agg-${crypto.createHash('sha256').update([tenantId, d.rollupId, d.seriesKey, d.windowStart, d.windowEnd, String(d.revision)].join('|')).digest('hex').slice(0, 40)}`;

/** The router's example envelope, moved to `ts` under a new id. */
function exampleAt(id, ts, properties) {
  const e = loadFixture('router.routed.v1');
  e.id = id;
  e.data.record.ts = new Date(ts).toISOString();
  if (properties) e.data.record.properties = properties;
  return e;
}

describe('aggregate.window.closed', () => {
  test('the contract example is valid and its id follows the documented formula', () => {
    const example = loadFixture('aggregate.window.closed.v1');
    expect(validateEnvelope(example)).toEqual({ valid: true, errors: [] });
    expect(example.id).toBe(idOf(example.tenantId, example.data));
  });

  test('what aggregate emits for the router example validates and has the example’s shape', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('tenant-acme').rollup({
      rollupId: 'pageview-duration',
      topic: 'web',
      eventName: 'pageview',
      field: 'properties.durationMs',
      groupBy: ['country', 'plan'],
      functions: ['count', 'sum', 'min', 'max', 'mean', 'variance', 'histogram'],
      histogram: { bounds: [500, 1000, 2000] },
      window: { kind: 'tumbling', sizeMs: 60 * S },
    });
    const t = Date.parse(loadFixture('router.routed.v1').data.record.ts);
    await h.feed([exampleAt('rt-c1', t, { durationMs: 800 }), exampleAt('rt-c2', t + S, { durationMs: 1200 }), exampleAt('rt-c3', t + 2 * S, { durationMs: 1600 }), exampleAt('rt-c4', t + 61 * S, { durationMs: 1 })]);
    const [emitted] = h.emitted();
    expect(validateEnvelope(emitted)).toEqual({ valid: true, errors: [] });
    const example = loadFixture('aggregate.window.closed.v1');
    expect(shapeDifferences(example, emitted)).toEqual([]);
    expect(emitted.data).toEqual(example.data);
    expect(emitted.id).toBe(example.id);
  }, 120_000);

  test('a re-emitted window carries revision 2 under the id of revision 2; ids do not depend on the instance', async () => {
    const run = async () => {
      const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
      await h.api('t-rev').rollup({ rollupId: 'rev', field: 'count', window: { kind: 'tumbling', sizeMs: 60 * S, allowedLatenessMs: 60 * S } }).catch(() => {});
      const t = Date.UTC(2024, 4, 1, 10);
      await h.feed([exampleAt('rt-r1', t), exampleAt('rt-r2', t + 70 * S)].map((e) => ({ ...e, tenantId: 't-rev' })));
      await h.feed([{ ...exampleAt('rt-r3', t + 5 * S), tenantId: 't-rev' }]);
      return h.emitted().filter((e) => e.data.windowStart === new Date(t).toISOString());
    };
    const first = await run();
    expect(first.map((e) => e.data.revision)).toEqual([1, 2]);
    for (const e of first) expect(e.id).toBe(idOf('t-rev', e.data));
    const second = await run();
    expect(second.map((e) => e.id)).toEqual(first.map((e) => e.id));
  }, 120_000);

  test('errors answer { code, message, requestId } and the OpenAPI document lists the rollup routes', async () => {
    const h = await aggregateHarness(ns);
    const res = await h.api('t-err').get('/v1/rollups/nope');
    expect(res.statusCode).toBe(404);
    expect(Object.keys(res.json()).sort()).toEqual(['code', 'message', 'requestId']);
    expect(res.json().code).toBe('AGGREGATE_ROLLUP_NOT_FOUND');
    const doc = (await h.api('t-err').get('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/rollups', '/v1/rollups/{rollupId}', '/v1/status']));
  }, 120_000);
});
