'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call } = require('../../../support/http');
const { T0, record, admin } = require('../../../integration/services/transform/helpers');

const ns = useNamespace({ databases: ['pipeline'] });
let svc;

beforeAll(async () => {
  svc = await bootService('transform', { ns, clock: createFakeClock(T0), env: { UDF_POOL_SIZE: '1' } });
});

const put = (url, payload, tenantId = 't-sec') => call(svc.app, { method: 'PUT', url, headers: admin(tenantId), payload });
const preview = (name, data, tenantId = 't-sec') => call(svc.app, { method: 'POST', url: `/v1/mappings/${name}/preview`, headers: admin(tenantId), payload: data });

describe('transform HTTP security', () => {
  test('a UDF whose result smuggles prototype keys changes only the record, and the service keeps answering', async () => {
    const smuggled = [
      'return JSON.parse(\'{"properties":{"tier":"gold","__proto__":{"isAdmin":true}}}\');',
      'return { dimensions: { tier: "gold", constructor: { prototype: { isAdmin: true } } } };',
      'return { properties: { tier: "gold", ["__proto__"]: { polluted: "yes" } } };',
    ];
    for (const [i, source] of smuggled.entries()) {
      await put(`/v1/udfs/smuggle${i}`, { source });
      await put(`/v1/mappings/smuggle.${i}`, { udf: `smuggle${i}` });
      const res = await preview(`smuggle.${i}`, record(i, { name: `smuggle.${i}` }));
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect({ ...body.properties, ...body.dimensions }).toMatchObject({ tier: 'gold' });
      expect(JSON.stringify(body)).not.toMatch(/isAdmin|polluted/);
    }
    expect({}.isAdmin).toBeUndefined();
    expect((await preview('smuggle.0', record(9, { name: 'smuggle.0' }))).statusCode).toBe(200);
  });

  test('mapping paths that name prototype keys are refused', async () => {
    for (const bad of [{ rename: { 'properties.__proto__': 'dimensions.x' } }, { defaults: { 'properties.__proto__': 1 } }, { copy: { 'dimensions.a': 'properties.__proto__' } }]) {
      expect((await put('/v1/mappings/bad.paths', bad)).statusCode).toBe(400);
    }
  });

  test('an oversized config or UDF source is refused before anything is stored', async () => {
    const huge = { defaults: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`properties.k${i}`, 'x'.repeat(40)])) };
    expect((await put('/v1/mappings/huge', huge)).statusCode).toBe(413);
    const many = { defaults: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`properties.k${i}`, 1])) };
    expect((await put('/v1/mappings/many', many)).statusCode).toBe(400);
    expect((await put('/v1/udfs/long', { source: `return null; // ${'x'.repeat(17 * 1024)}` })).statusCode).toBe(400);
    expect((await call(svc.app, { url: '/v1/mappings/huge', headers: admin('t-sec') })).statusCode).toBe(404);
    expect((await call(svc.app, { url: '/v1/udfs/long', headers: admin('t-sec') })).statusCode).toBe(404);
  });

  test('a tenant sees and runs only its own mappings and UDFs', async () => {
    await put('/v1/udfs/private', { source: 'return { dimensions: { owner: "t-owner" } };' }, 't-owner');
    await put('/v1/mappings/private.event', { udf: 'private' }, 't-owner');
    expect((await call(svc.app, { url: '/v1/mappings/private.event', headers: admin('t-other') })).statusCode).toBe(404);
    expect((await call(svc.app, { url: '/v1/udfs/private', headers: admin('t-other') })).statusCode).toBe(404);
    expect((await preview('private.event', record(20, { name: 'private.event' }), 't-other')).statusCode).toBe(404);
    await put('/v1/mappings/private.event', { udf: 'private' }, 't-other');
    const res = await preview('private.event', record(21, { name: 'private.event' }), 't-other');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('TRANSFORM_UDF_NOT_FOUND');
  });
});
