'use strict';

// transform consumes ingestion's published example and produces what transform.record's contract
// (and its example) say: checked on the real database and UDF pool, without a broker.

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call } = require('../../../support/http');
const { loadFixture, validateEnvelope, dataSchema, validate, shapeDifferences } = require('../../../../shared/contracts');
const { admin } = require('../../../integration/services/transform/helpers');

const ns = useNamespace({ databases: ['pipeline'] });
let svc;

beforeAll(async () => {
  svc = await bootService('transform', { ns, clock: createFakeClock(Date.UTC(2024, 4, 2)), env: { UDF_POOL_SIZE: '1' } });
});

const put = (url, payload, tenantId) => call(svc.app, { method: 'PUT', url, headers: admin(tenantId), payload });

describe('transform record contracts', () => {
  test('the ingestion.record and transform.record examples are valid envelopes', () => {
    for (const name of ['ingestion.record.v1', 'transform.record.v1']) {
      expect(validateEnvelope(loadFixture(name))).toEqual({ valid: true, errors: [] });
    }
  });

  test('the ingestion.record example comes out as a valid transform.record of the example\'s shape', async () => {
    const input = loadFixture('ingestion.record.v1');
    await put('/v1/udfs/compact-name', { source: 'return { name: input.name.split(".").join("") };' }, input.tenantId);
    await put('/v1/enrichment/planTier', { value: 'paid' }, input.tenantId);
    await put('/v1/mappings/page.view', { udf: 'compact-name', enrich: ['planTier'] }, input.tenantId);
    const produced = await svc.app.transform.processor.process(input);
    expect(validateEnvelope(produced)).toEqual({ valid: true, errors: [] });
    const example = loadFixture('transform.record.v1');
    expect(shapeDifferences(example, produced)).toEqual([]);
    expect({ ...produced, data: { ...produced.data, mappingVersion: 3 } }).toEqual(example);
  });

  test('without a mapping the output still validates, as mapping version 0 and without enrichment', async () => {
    const input = loadFixture('ingestion.record.v1');
    input.tenantId = 'tenant-bare';
    const produced = await svc.app.transform.processor.process(input);
    expect(validate(dataSchema('transform.record', 1), produced.data, '/data')).toEqual([]);
    expect(produced.data).toEqual({ ...input.data, mappingVersion: 0 });
    expect(produced.occurredAt).toBe(input.data.ts);
  });
});
