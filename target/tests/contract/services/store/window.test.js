'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { loadFixture, validateEnvelope } = require('../../../../shared/contracts');
const { bootService } = require('../../../support/boot-service');
const { call } = require('../../../support/http');
const { windowEvent, tenantApi } = require('../../../unit/services/store/fixtures');

// The store consumes aggregate.window.closed exactly as the contract's example shows it, and its
// HTTP API answers as its OpenAPI document says.

const ns = useNamespace({ databases: ['metrics'] });
let store;

beforeAll(async () => {
  store = await bootService('store', { ns, clock: createFakeClock(Date.UTC(2024, 4, 2)) });
});
ns.cleanup(() => store.close());

describe('consuming aggregate.window.closed', () => {
  test('the contract example is valid and the store\'s test windows have its shape', () => {
    const example = loadFixture('aggregate.window.closed.v1');
    expect(validateEnvelope(example)).toEqual({ valid: true, errors: [] });
    const ours = windowEvent({ values: [1, 2, 3], bounds: [2] });
    expect(validateEnvelope(ours)).toEqual({ valid: true, errors: [] });
    expect(Object.keys(ours.data).sort()).toEqual(Object.keys(example.data).sort());
  });

  test('the example is stored and read back field for field', async () => {
    const example = loadFixture('aggregate.window.closed.v1');
    expect(await store.app.storeParts.handleWindow(example)).toMatchObject({ eventId: example.id, status: 'written' });
    const { data } = example;
    const res = await tenantApi(store.app, example.tenantId, 'viewer').series(data.rollupId, { from: data.windowStart, to: data.windowEnd, seriesKey: data.seriesKey });
    const { rollupId, seriesKey, ...point } = data;
    expect(res.json().series).toEqual([{ seriesKey, points: [point] }]);
  });
});

describe('HTTP', () => {
  test('the OpenAPI document lists the store\'s routes, each with the error body', async () => {
    const doc = (await call(store.app, '/openapi.json')).json();
    expect(Object.keys(doc.paths).sort()).toEqual(expect.arrayContaining([
      '/v1/exports', '/v1/exports/{file}', '/v1/retention', '/v1/rollups/{rollupId}/archive', '/v1/rollups/{rollupId}/series',
    ]));
    const bad = await tenantApi(store.app, 't-x').series('checkout-amount', { from: 'yesterday', to: '2024-05-01T10:00:00.000Z' });
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.json()).sort()).toEqual(['code', 'message', 'requestId']);
    expect(bad.json().code).toBe('STORE_INVALID_REQUEST');
    const reversed = await tenantApi(store.app, 't-x').series('checkout-amount', { from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T09:00:00.000Z' });
    expect(reversed.json().code).toBe('STORE_RANGE_INVALID');
  });
});
