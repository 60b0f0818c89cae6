'use strict';

// Work counted, never timed: scripts compiled per UDF version, database queries per lookup.

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { createUdfPool } = require('../../../../services/transform/src/udf/pool');
const { createEnrichment } = require('../../../../services/transform/src/enrichment');
const { call } = require('../../../support/http');
const { T0, record, envelope, admin } = require('../../../integration/services/transform/helpers');

const ns = useNamespace({ databases: ['pipeline'] });
let clock;
let svc;

beforeAll(async () => {
  clock = createFakeClock(T0);
  svc = await bootService('transform', { ns, clock, env: { UDF_POOL_SIZE: '1' } });
});

describe('transform costs', () => {
  test('each UDF version is compiled once per worker, however often it runs', async () => {
    const pool = createUdfPool({ size: 1, timeoutMs: 1000, memoryMb: 32, clock: createFakeClock(0) });
    try {
      const input = { name: 'n', ts: 't', properties: { v: 1 }, dimensions: {} };
      for (let round = 0; round < 10; round += 1) {
        for (const version of [1, 2, 3]) {
          const out = await pool.run({ tenantId: 't-a', name: 'scale', version, source: `return { properties: { v: input.properties.v * ${version} } };` }, input);
          expect(out.properties.v).toBe(version);
        }
      }
      expect(pool.stats()).toMatchObject({ calls: 30, compilations: 3 });
    } finally {
      await pool.close();
    }
  });

  test('enrichment values are read once per tenant per TTL, and once for concurrent lookups', async () => {
    await svc.app.transform.enrichment.set('t-perf', 'planTier', 'paid');
    const enrichment = createEnrichment({ postgres: svc.postgres, clock, ttlMs: 60_000 });
    svc.postgres.resetStats();
    const first = await Promise.all(Array.from({ length: 25 }, () => enrichment.lookup('t-perf', ['planTier'])));
    expect(first.every((v) => v.planTier === 'paid')).toBe(true);
    for (let i = 0; i < 50; i += 1) await enrichment.lookup('t-perf', ['planTier']);
    expect(svc.postgres.stats().pipeline.queries).toBe(1);
    clock.advance(59_999);
    await enrichment.lookup('t-perf', ['planTier']);
    expect(svc.postgres.stats().pipeline.queries).toBe(1);
    clock.advance(1);
    await enrichment.lookup('t-perf', ['planTier']);
    expect(svc.postgres.stats().pipeline.queries).toBe(2);
  });

  test('an event costs two lookups (mapping and UDF) once its enrichment is cached', async () => {
    await call(svc.app, { method: 'PUT', url: '/v1/udfs/noop', headers: admin('t-perf'), payload: { source: 'return null;' } });
    await call(svc.app, { method: 'PUT', url: '/v1/mappings/page.view', headers: admin('t-perf'), payload: { udf: 'noop', enrich: ['planTier'] } });
    const { processor } = svc.app.transform;
    await processor.process(envelope('t-perf', record(0)));
    svc.postgres.resetStats();
    for (let i = 1; i <= 20; i += 1) await processor.process(envelope('t-perf', record(i)));
    expect(svc.postgres.stats().pipeline.queries).toBe(40);
  });
});
