'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call } = require('../../../support/http');
const { T0, HOUR, record, admin, viewer } = require('./helpers');

const ns = useNamespace({ databases: ['pipeline'] });
let clock;
let svc;

beforeAll(async () => {
  clock = createFakeClock(T0);
  svc = await bootService('transform', { ns, clock, env: { UDF_POOL_SIZE: '1' } });
});

const put = (url, payload, headers = admin()) => call(svc.app, { method: 'PUT', url, headers, payload });
const get = (url, headers = admin()) => call(svc.app, { url, headers });
const preview = (name, payload, headers = admin()) => call(svc.app, { method: 'POST', url: `/v1/mappings/${name}/preview`, headers, payload });

describe('mapping configs', () => {
  test('every PUT stores the next version; GET answers the latest or the one asked for', async () => {
    const first = await put('/v1/mappings/page.view', { rename: { 'properties.path': 'dimensions.page' } });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ name: 'page.view', version: 1, config: { rename: { 'properties.path': 'dimensions.page' } } });
    clock.advance(1000);
    const second = await put('/v1/mappings/page.view', { options: { nameCase: 'lower' } });
    expect(second.json()).toMatchObject({ version: 2, createdAt: new Date(T0 + 1000).toISOString() });
    expect(second.json().effective).toEqual({ rename: {}, copy: {}, defaults: {}, udf: null, enrich: [], options: { nameCase: 'lower', dropNulls: false } });
    expect((await get('/v1/mappings/page.view')).json().version).toBe(2);
    expect((await get('/v1/mappings/page.view?version=1')).json().config).toEqual({ rename: { 'properties.path': 'dimensions.page' } });
    expect((await get('/v1/mappings/page.view?version=3')).json().code).toBe('TRANSFORM_MAPPING_NOT_FOUND');
  });

  test('concurrent PUTs of one mapping get consecutive versions', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => put('/v1/mappings/concurrent', { defaults: { 'properties.i': i } })));
    expect(results.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    expect(results.map((r) => r.json().version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a config that is not a mapping is refused with 400', async () => {
    for (const bad of [{ rename: { path: 'dimensions.page' } }, { rename: { 'properties.a': 'meta.b' } }, { options: { nameCase: 'title' } }, { enrich: ['a', 'a'] }, { udf: 'Bad Name' }]) {
      const res = await put('/v1/mappings/bad', bad);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('TRANSFORM_INVALID_REQUEST');
    }
    expect((await get('/v1/mappings/bad')).statusCode).toBe(404);
  });

  test('only a tenant admin changes settings; every caller must come through the gateway', async () => {
    expect((await put('/v1/mappings/page.view', {}, viewer())).statusCode).toBe(403);
    expect((await put('/v1/udfs/x', { source: 'return null;' }, viewer())).statusCode).toBe(403);
    expect((await get('/v1/mappings/page.view', viewer())).statusCode).toBe(200);
    const anonymous = await call(svc.app, { url: '/v1/mappings/page.view' });
    expect(anonymous.statusCode).toBe(401);
    const forged = await call(svc.app, { url: '/v1/mappings/page.view', headers: { ...admin(), 'x-internal-token': 'wrong' } });
    expect(forged.statusCode).toBe(401);
  });
});

describe('UDFs and previews', () => {
  test('UDFs are versioned and a source that does not compile is refused', async () => {
    expect((await put('/v1/udfs/seconds', { source: 'return { properties: { seconds: input.properties.durationMs / 1000 } };' })).json()).toMatchObject({ name: 'seconds', version: 1 });
    const broken = await put('/v1/udfs/seconds', { source: 'return {' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().code).toBe('TRANSFORM_UDF_INVALID');
    expect((await get('/v1/udfs/seconds')).json()).toMatchObject({ version: 1 });
    expect((await get('/v1/udfs/missing')).statusCode).toBe(404);
  });

  test('a preview applies the mapping, the UDF and the enrichment without publishing', async () => {
    await put('/v1/udfs/tier', { source: 'return { dimensions: { tier: helpers.upper(input.dimensions.country) } };' });
    await put('/v1/enrichment/planTier', { value: 'paid' });
    await put('/v1/mappings/signup', { copy: { 'dimensions.country': 'properties.country' }, udf: 'tier', enrich: ['planTier', 'region'] });
    const ts = new Date(T0 - 3 * HOUR).toISOString();
    const res = await preview('signup', record(10, { name: 'signup', ts }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ...record(10, { name: 'signup', ts }),
      properties: { durationMs: 1200, path: '/pricing', country: 'DE' },
      dimensions: { country: 'DE', tier: 'DE' },
      mappingVersion: 1,
      enrichment: { planTier: 'paid' },
    });
  });

  test('after a UDF is updated, the mapping runs its new version', async () => {
    await put('/v1/udfs/label', { source: 'return { dimensions: { label: "one" } };' });
    await put('/v1/mappings/label.me', { udf: 'label' });
    expect((await preview('label.me', record(11, { name: 'label.me' }))).json().dimensions.label).toBe('one');
    await put('/v1/udfs/label', { source: 'return { dimensions: { label: "two" } };' });
    expect((await preview('label.me', record(12, { name: 'label.me' }))).json().dimensions.label).toBe('two');
    await put('/v1/udfs/label', { source: 'return { dimensions: { label: "six" } };' });
    expect((await preview('label.me', record(13, { name: 'label.me' }))).json().dimensions.label).toBe('six');
  });

  test('two tenants with a UDF of the same name each run their own', async () => {
    for (const [tenant, label] of [['t-one', 'first'], ['t-two', 'other']]) {
      await put('/v1/udfs/same', { source: `return { dimensions: { who: "${label}" } };` }, admin(tenant));
      await put('/v1/mappings/shared.name', { udf: 'same' }, admin(tenant));
    }
    for (const [tenant, label] of [['t-one', 'first'], ['t-two', 'other'], ['t-one', 'first']]) {
      const res = await preview('shared.name', record(14, { name: 'shared.name' }), admin(tenant));
      expect(res.json().dimensions.who).toBe(label);
    }
  });

  test('a UDF error answers 422 with the UDF\'s message', async () => {
    await put('/v1/udfs/thrower', { source: 'throw new Error("plan missing");' });
    await put('/v1/mappings/throws', { udf: 'thrower' });
    const res = await preview('throws', record(15, { name: 'throws' }));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'TRANSFORM_UDF_FAILED', message: expect.stringContaining('plan missing') });
  });
});

describe('readiness', () => {
  test('/ready reports the database', async () => {
    const res = await call(svc.app, '/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json().checks).toEqual({ postgres: 'ok' });
  });
});

