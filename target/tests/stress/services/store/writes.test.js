'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { bootService } = require('../../../support/boot-service');
const { createPartitions } = require('../../../../services/store/src/partitions');
const { windowEvent, tenantApi, MINUTE } = require('../../../unit/services/store/fixtures');

// Many series written at once, with duplicates, stale revisions and corrections in a shuffled
// order: the database ends with one row per window at its highest revision, whatever order the
// writes ran in.

const DAY = 86_400_000;
const ns = useNamespace({ databases: ['metrics'] });
let store;
let parts;
const NOW = Date.UTC(2024, 6, 1);

beforeAll(async () => {
  store = await bootService('store', { ns, clock: createFakeClock(NOW) });
  parts = store.app.storeParts;
});

/** Runs `tasks` (functions) with at most `width` of them in flight at once, in order of start. */
async function pool(tasks, width) {
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task();
    }
  });
  await Promise.all(lanes);
}

describe('many series written concurrently', () => {
  test('100 series, three revisions of each window, duplicated and shuffled: the highest revision of each window stays', async () => {
    const prng = createPrng('many-series');
    const start = Date.UTC(2024, 5, 10, 22, 58);
    const latest = new Map();
    const deliveries = [];
    for (let s = 0; s < 100; s++) {
      for (let w = 0; w < 4; w++) {
        for (let r = 1; r <= 3; r++) {
          const values = Array.from({ length: prng.int(1, 5) }, () => prng.int(0, 100));
          const e = windowEvent({ tenantId: 't-many', seriesKey: `host=${s}`, start: start + w * MINUTE, revision: r, values });
          deliveries.push(e);
          if (prng.bool(0.2)) deliveries.push(e);
          const key = `${e.data.seriesKey}|${e.data.windowStart}`;
          if (!latest.has(key) || latest.get(key).data.revision < r) latest.set(key, e);
        }
      }
    }
    await pool(prng.shuffle(deliveries).map((e) => () => parts.handleWindow(e)), 8);
    const { rows } = await store.postgres.query('metrics', "SELECT series_key, window_start, revision, sum FROM store_rollups WHERE tenant_id = 't-many' AND resolution = '1m'");
    expect(rows).toHaveLength(400);
    for (const row of rows) {
      const want = latest.get(`${row.series_key}|${row.window_start.toISOString()}`);
      expect([row.series_key, row.revision, row.sum]).toEqual([want.data.seriesKey, 3, want.data.sum]);
    }
    // the windows straddle midnight: two day partitions, two hours per series pending downsampling
    const pending = await store.postgres.query('metrics', "SELECT count(*) AS n FROM store_downsample_pending WHERE tenant_id = 't-many' AND resolution = '1h'");
    expect(Number(pending.rows[0].n)).toBe(200);
    const res = await tenantApi(store.app, 't-many').series('checkout-amount', { from: '2024-06-10T22:00:00.000Z', to: '2024-06-11T00:00:00.000Z' });
    expect(res.json().series).toHaveLength(100);
    for (const s of [0, 37, 99]) {
      const archived = await parts.archive.read('t-many', 'checkout-amount', `host=${s}`);
      expect(archived.map((p) => [p.revision, p.sum])).toEqual([0, 1, 2, 3].map((w) => {
        const e = latest.get(`host=${s}|${new Date(start + w * MINUTE).toISOString()}`);
        return [3, e.data.sum];
      }));
    }
    const ds = await parts.downsampler.run();
    expect(ds['1h']).toBe(200);
    const hourly = (await tenantApi(store.app, 't-many').series('checkout-amount', { from: '2024-06-10T22:00:00.000Z', to: '2024-06-11T01:00:00.000Z', resolution: '1h', seriesKey: 'host=5' })).json();
    const five = [...latest.values()].filter((e) => e.data.seriesKey === 'host=5');
    expect(hourly.series[0].points.map((p) => p.count)).toEqual([
      five.filter((e) => e.data.windowStart < '2024-06-10T23').reduce((n, e) => n + e.data.count, 0),
      five.filter((e) => e.data.windowStart >= '2024-06-10T23').reduce((n, e) => n + e.data.count, 0),
    ]);
  }, 120_000);

  test('partitions of 30 days created at once by two writers exist once each', async () => {
    const a = createPartitions({ postgres: store.postgres });
    const b = createPartitions({ postgres: store.postgres });
    const first = Date.UTC(2023, 0, 1);
    const days = Array.from({ length: 30 }, (_, d) => first + d * DAY + 1000 * d);
    await Promise.all([...days.map((d) => a.ensure(d)), ...days.map((d) => b.ensure(d + 3_600_000))]);
    const names = (await a.list()).filter((n) => n.startsWith('store_rollups_p202301'));
    expect(names).toHaveLength(30);
  }, 120_000);

  test('retention over 40 tenants with their own settings keeps exactly each one\'s range', async () => {
    const prng = createPrng('retention-tenants');
    const settings = [];
    for (let t = 0; t < 40; t++) {
      const tenantId = `t-ret-${t}`;
      const days = prng.int(1, 60);
      settings.push({ tenantId, days });
      await parts.retention.set(tenantId, days);
      const ages = Array.from({ length: 6 }, () => prng.int(0, 90));
      for (const age of ages) await parts.handleWindow(windowEvent({ tenantId, start: NOW - age * DAY - 30 * MINUTE, seriesKey: `age=${age}` }));
      settings[t].ages = [...new Set(ages)];
    }
    await parts.retention.run();
    for (const { tenantId, days, ages } of settings) {
      const { rows } = await store.postgres.query('metrics', 'SELECT series_key FROM store_rollups WHERE tenant_id = $1 ORDER BY series_key', [tenantId]);
      // a window started age days and 30 minutes ago is kept while age < days
      expect({ tenantId, kept: rows.map((r) => r.series_key) }).toEqual({ tenantId, kept: ages.filter((age) => age < days).map((age) => `age=${age}`).sort() });
    }
  }, 120_000);
});
