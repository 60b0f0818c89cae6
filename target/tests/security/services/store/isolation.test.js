'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, INTERNAL_TOKEN } = require('../../../support/http');
const { windowEvent, tenantApi } = require('../../../unit/services/store/fixtures');

// A tenant reads its own rollups and downloads its own exports, nothing else: not another
// tenant's whose id shares a prefix with its own, not a file next to the export directory, however
// the file name is spelled or encoded.

const ns = useNamespace({ databases: ['metrics'] });
let EXPORT_DIR;
let store;
const files = {};

beforeAll(async () => {
  EXPORT_DIR = path.join(ns.env.OBJECT_STORE_DIR, 'exports');
  store = await bootService('store', { ns, clock: createFakeClock(Date.UTC(2024, 5, 1)), env: { STORE_EXPORT_DIR: EXPORT_DIR } });
  for (const [tenantId, sum] of [['acme', 1], ['acme-corp', 777.25], ['acme-archive', 888.5]]) {
    await store.app.storeParts.handleWindow(windowEvent({ tenantId, values: [sum] }));
    const res = await tenantApi(store.app, tenantId).createExport({ rollupId: 'checkout-amount', from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T11:00:00.000Z' });
    expect(res.statusCode).toBe(201);
    files[tenantId] = res.json().file;
  }
  // a file next to the export directory, in a sibling that shares its name as a prefix
  fs.mkdirSync(`${EXPORT_DIR}-old`, { recursive: true });
  fs.writeFileSync(`${EXPORT_DIR}-old/secret.csv`, 'secret-row\r\n');
});

const acme = () => tenantApi(store.app, 'acme', 'viewer');

describe('export downloads stay inside the tenant\'s directory', () => {
  test('the tenant downloads its own export', async () => {
    const res = await acme().download(files.acme);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(',1,1,1,1,0');
  });

  test.each([
    ['a sibling tenant whose id starts with the caller\'s', (f) => `..%2Facme-corp%2F${f['acme-corp']}`],
    ['another sibling sharing the prefix', (f) => `..%2Facme-archive%2F${f['acme-archive']}`],
    ['the sibling with encoded dots', (f) => `%2E%2E%2Facme-corp%2F${f['acme-corp']}`],
    ['the sibling behind a leading ./', (f) => `.%2F..%2Facme-corp%2F${f['acme-corp']}`],
    ['the sibling through ....// (what stripping ../ once leaves)', (f) => `....%2F%2Facme-corp%2F${f['acme-corp']}`],
    ['the sibling through a doubled ../', (f) => `..%2F..%2Fexports%2Facme-corp%2F${f['acme-corp']}`],
    ['a directory next to the export directory', () => '..%2F..%2Fexports-old%2Fsecret.csv'],
    ['a file outside every export directory', () => '..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd'],
  ])('%s is refused', async (_, name) => {
    const res = await acme().download(name(files));
    expect([400, 404]).toContain(res.statusCode);
    expect(res.body).not.toMatch(/777\.25|888\.5|secret-row|root:/);
  });

  test('a name with a path is refused with STORE_EXPORT_PATH_INVALID before anything is read', async () => {
    const res = await acme().download(`..%2Facme-corp%2F${files['acme-corp']}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('STORE_EXPORT_PATH_INVALID');
  });

  test('the listing shows the tenant\'s exports only', async () => {
    expect((await acme().listExports()).json().items.map((i) => i.file)).toEqual([files.acme]);
  });
});

describe('identity', () => {
  test('the series of another tenant are not reachable, by header or by query', async () => {
    const res = await acme().get('/v1/rollups/checkout-amount/series?from=2024-05-01T10:00:00.000Z&to=2024-05-01T11:00:00.000Z&tenantId=acme-corp');
    expect(res.body).not.toContain('777.25');
    const spoofed = await call(store.app, { url: '/v1/rollups/checkout-amount/series?from=2024-05-01T10:00:00.000Z&to=2024-05-01T11:00:00.000Z', headers: { ...acme().headers, 'x-tenant-id': 'acme', 'x-forwarded-tenant': 'acme-corp' } });
    expect(spoofed.json().series.map((s) => s.points.map((p) => p.sum))).toEqual([[1]]);
    const own = await acme().series('checkout-amount', { from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T11:00:00.000Z' });
    expect(own.json().series.map((s) => s.points.map((p) => p.sum))).toEqual([[1]]);
    expect((await acme().archive('checkout-amount', 'country=DE')).json().points.map((p) => p.sum)).toEqual([1]);
  });

  test('without the internal token the tenant headers count for nothing', async () => {
    const headers = { 'x-tenant-id': 'acme-corp', 'x-user-role': 'admin' };
    for (const h of [headers, { ...headers, 'x-internal-token': 'not-the-token' }, { ...headers, 'x-internal-token': `${INTERNAL_TOKEN}x` }]) {
      const res = await call(store.app, { url: `/v1/exports/${files['acme-corp']}`, headers: h });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('STORE_UNAUTHENTICATED');
    }
  });

  test('tenant ids that cannot name a directory cannot export', async () => {
    const res = await tenantApi(store.app, '..', 'admin').createExport({ rollupId: 'checkout-amount', from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T11:00:00.000Z' });
    expect(res.statusCode).toBe(403);
  });
});
