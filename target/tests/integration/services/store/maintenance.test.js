'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { windowEvent, statsOf, tenantApi, MINUTE } = require('../../../unit/services/store/fixtures');

// What the store does with stored windows over time: hourly and daily downsamples, retention per
// tenant, the archive and its compaction, CSV exports.

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1, 12);
const ns = useNamespace({ databases: ['metrics'] });
let store;
let parts;
let clock;

beforeAll(async () => {
  clock = createFakeClock(NOW);
  store = await bootService('store', { ns, clock, env: { STORE_EXPORT_DIR: `${ns.env.OBJECT_STORE_DIR}/exports`, STORE_RETENTION_DAYS: '60', STORE_COMPACT_MIN_SEGMENTS: '2' } });
  parts = store.app.storeParts;
});

/** Writes windows the way the consumer does (the handler of store.rollups). */
async function write(...envelopes) {
  for (const e of envelopes) await parts.handleWindow(e);
}

describe('downsampling', () => {
  test('an hour of windows becomes one hourly row that weighs every event alike', async () => {
    const hour = Date.UTC(2024, 4, 20, 10);
    await write(
      windowEvent({ tenantId: 't-ds', start: hour, values: [10] }),
      windowEvent({ tenantId: 't-ds', start: hour + MINUTE, values: Array(99).fill(0) }),
      windowEvent({ tenantId: 't-ds', start: hour + 60 * MINUTE, values: [4, 6] }),
    );
    expect(await parts.downsampler.run()).toEqual({ '1h': 2, '1d': 1 });
    const res = await tenantApi(store.app, 't-ds').series('checkout-amount', { from: '2024-05-20T00:00:00.000Z', to: '2024-05-21T00:00:00.000Z', resolution: '1h' });
    const [first, second] = res.json().series[0].points;
    expect(first).toMatchObject({ windowStart: '2024-05-20T10:00:00.000Z', windowEnd: '2024-05-20T11:00:00.000Z', count: 100, sum: 10, min: 0, max: 10 });
    expect(first.mean).toBeCloseTo(0.1, 9);
    expect(first.variance).toBeCloseTo(0.99, 9);
    expect(second).toMatchObject({ windowStart: '2024-05-20T11:00:00.000Z', count: 2, sum: 10, mean: 5, variance: 1 });
  });

  test('days combine their hours; a late correction of a minute reaches the hour and the day', async () => {
    const day = Date.UTC(2024, 4, 21);
    const minutes = [[1, [3, 3]], [2, [9]], [26, [1, 2, 3]], [600, [100]]];
    await write(...minutes.map(([m, values]) => windowEvent({ tenantId: 't-day', start: day + m * MINUTE, values })));
    await parts.downsampler.run();
    await parts.downsampler.run();
    await write(windowEvent({ tenantId: 't-day', start: day + 2 * MINUTE, values: [9, 11], revision: 2 }));
    await parts.downsampler.run();
    const api = tenantApi(store.app, 't-day');
    const daily = (await api.series('checkout-amount', { from: '2024-05-21T00:00:00.000Z', to: '2024-05-22T00:00:00.000Z', resolution: '1d' })).json();
    const all = [3, 3, 9, 11, 1, 2, 3, 100];
    const expected = statsOf(all);
    const [row] = daily.series[0].points;
    expect(row).toMatchObject({ windowStart: '2024-05-21T00:00:00.000Z', windowEnd: '2024-05-22T00:00:00.000Z', count: 8, sum: 132, min: 1, max: 100 });
    expect(row.mean).toBeCloseTo(expected.mean, 9);
    expect(row.variance).toBeCloseTo(expected.variance, 6);
    const hourly = (await api.series('checkout-amount', { from: '2024-05-21T00:00:00.000Z', to: '2024-05-22T00:00:00.000Z', resolution: '1h' })).json();
    expect(hourly.series[0].points.map((p) => [p.windowStart.slice(11, 13), p.count, p.sum])).toEqual([['00', 7, 32], ['10', 1, 100]]);
  });

  test('hopping windows overlap and are not added up; histograms merge per bucket', async () => {
    const hour = Date.UTC(2024, 4, 22, 8);
    const bounds = [5, 50];
    await write(
      windowEvent({ tenantId: 't-hop', start: hour, values: [1, 60], bounds }),
      windowEvent({ tenantId: 't-hop', start: hour + 30_000, windowKind: 'hopping', values: [1000] }),
      windowEvent({ tenantId: 't-hop', start: hour + MINUTE, values: [5, 6], bounds }),
    );
    await parts.downsampler.run();
    const res = await tenantApi(store.app, 't-hop').series('checkout-amount', { from: '2024-05-22T08:00:00.000Z', to: '2024-05-22T09:00:00.000Z', resolution: '1h' });
    expect(res.json().series[0].points).toEqual([expect.objectContaining({ count: 4, sum: 72, max: 60, histogram: { bounds, counts: [2, 1, 1] } })]);
  });
});

describe('retention', () => {
  test('a tenant\'s retention is the default until it sets its own; viewers cannot change it', async () => {
    const api = tenantApi(store.app, 't-ret-api');
    expect((await api.retention()).json()).toEqual({ days: 60, seconds: 60 * 86400, source: 'default', deletesBefore: new Date(NOW - 60 * DAY).toISOString() });
    expect((await tenantApi(store.app, 't-ret-api', 'viewer').setRetention(5)).statusCode).toBe(403);
    expect((await api.setRetention(0)).statusCode).toBe(400);
    const set = await api.setRetention(30);
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ days: 30, source: 'tenant', deletesBefore: new Date(NOW - 30 * DAY).toISOString() });
    expect((await api.retention()).json().days).toBe(30);
  });

  test('a run deletes what each tenant\'s retention no longer covers, and only that', async () => {
    const ages = [1, 29, 31, 59, 61];
    for (const tenantId of ['t-ret-30', 't-ret-default']) {
      await write(...ages.map((d) => windowEvent({ tenantId, start: NOW - d * DAY - 5 * MINUTE, values: [d] })));
    }
    expect((await tenantApi(store.app, 't-ret-30').setRetention(30)).statusCode).toBe(200);
    await parts.retention.run();
    const left = async (tenantId) => (await store.postgres.query('metrics', 'SELECT sum FROM store_rollups WHERE tenant_id = $1 AND resolution = $2 ORDER BY sum', [tenantId, '1m'])).rows.map((r) => r.sum);
    expect(await left('t-ret-30')).toEqual([1, 29]);
    expect(await left('t-ret-default')).toEqual([1, 29, 31, 59]);
  });

  test('as the clock moves on, windows age out of retention', async () => {
    await write(windowEvent({ tenantId: 't-ret-clock', start: NOW - 2 * DAY, values: [2] }));
    await tenantApi(store.app, 't-ret-clock').setRetention(3);
    await parts.retention.run();
    const count = async () => Number((await store.postgres.query('metrics', "SELECT count(*) AS n FROM store_rollups WHERE tenant_id = 't-ret-clock'")).rows[0].n);
    expect(await count()).toBe(1);
    await clock.advanceAsync(DAY + MINUTE);
    await parts.retention.run();
    expect(await count()).toBe(0);
  });
});

describe('archive', () => {
  test('a corrected window reads back corrected from the archive after compaction', async () => {
    const api = tenantApi(store.app, 't-arc');
    const start = Date.UTC(2024, 4, 25, 10);
    await write(
      windowEvent({ tenantId: 't-arc', start, values: [1] }),
      windowEvent({ tenantId: 't-arc', start: start + MINUTE, values: [2] }),
      windowEvent({ tenantId: 't-arc', start, values: [1, 5], revision: 2 }),
      windowEvent({ tenantId: 't-arc', start, values: [1], revision: 1 }),
    );
    const before = (await api.archive('checkout-amount', 'country=DE')).json();
    expect(before.points.map((p) => [p.revision, p.sum])).toEqual([[2, 6], [1, 2]]);
    expect(await parts.compactor.compactAll()).toBeGreaterThanOrEqual(3);
    const after = (await api.archive('checkout-amount', 'country=DE')).json();
    expect(after.points.map((p) => [p.revision, p.sum])).toEqual([[2, 6], [1, 2]]);
    const stored = (await api.series('checkout-amount', { from: '2024-05-25T10:00:00.000Z', to: '2024-05-25T10:02:00.000Z' })).json();
    expect(stored.series[0].points.map((p) => [p.revision, p.sum])).toEqual(after.points.map((p) => [p.revision, p.sum]));
  });
});

describe('exports', () => {
  test('an export is written as CSV, listed, and downloaded by its name', async () => {
    const start = Date.UTC(2024, 4, 26, 10);
    await write(
      windowEvent({ tenantId: 't-exp', start, seriesKey: 'country=DE,plan=pro', values: [1, 2] }),
      windowEvent({ tenantId: 't-exp', start: start + MINUTE, seriesKey: 'country=DE,plan=pro', values: [4] }),
    );
    const api = tenantApi(store.app, 't-exp', 'viewer');
    const created = await api.createExport({ rollupId: 'checkout-amount', from: '2024-05-26T10:00:00.000Z', to: '2024-05-26T11:00:00.000Z' });
    expect(created.statusCode).toBe(201);
    const { file, rows } = created.json();
    expect(rows).toBe(2);
    expect(file).toMatch(/^checkout-amount-1m-\d{8}T\d{6}Z-[0-9a-f]{6}\.csv$/);
    expect((await api.listExports()).json().items).toEqual([{ file, size: created.json().size }]);
    const res = await api.download(file);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.body.split('\r\n')).toEqual([
      'seriesKey,windowStart,windowEnd,count,sum,min,max,mean,variance',
      '"country=DE,plan=pro",2024-05-26T10:00:00.000Z,2024-05-26T10:01:00.000Z,2,3,1,2,1.5,0.25',
      '"country=DE,plan=pro",2024-05-26T10:01:00.000Z,2024-05-26T10:02:00.000Z,1,4,4,4,4,0',
      '',
    ]);
    expect((await api.download('nothing-here.csv')).json().code).toBe('STORE_EXPORT_NOT_FOUND');
  });
});
