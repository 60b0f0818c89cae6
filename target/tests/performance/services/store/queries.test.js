'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { windowEvent, MINUTE } = require('../../../unit/services/store/fixtures');

// Range reads must stay cheap as the table grows: PostgreSQL has to prune the day partitions
// outside the range and find the range in an index. Checked on the plan PostgreSQL gives the
// store's own statement (EXPLAIN (FORMAT JSON)), never on timing; writes are checked by counting
// the statements each window costs.

const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2024, 2, 1);
const DAYS = 10;
const ns = useNamespace({ databases: ['metrics'] });
let store;
let parts;

beforeAll(async () => {
  store = await bootService('store', { ns, clock: createFakeClock(Date.UTC(2024, 3, 1)) });
  parts = store.app.storeParts;
  for (let d = 0; d < DAYS; d++) await parts.partitions.ensure(FIRST_DAY + d * DAY);
  // every minute of ten days, for three tenants and two series each
  await store.postgres.query('metrics', `
    INSERT INTO store_rollups (tenant_id, rollup_id, series_key, resolution, window_kind, window_start, window_end, revision, count, sum, min, max, mean, variance, histogram, event_id, written_at)
    SELECT t, 'cpu', s, '1m', 'tumbling', ts, ts + interval '1 minute', 1, 1, 1, 1, 1, 1, 0, NULL, 'seed', now()
      FROM unnest(ARRAY['t-a', 't-b', 't-c']) AS t, unnest(ARRAY['host=a', 'host=b']) AS s,
           generate_series($1::timestamptz, $2::timestamptz, interval '1 minute') AS ts`,
  [new Date(FIRST_DAY), new Date(FIRST_DAY + DAYS * DAY - MINUTE)]);
  await store.postgres.query('metrics', 'ANALYZE store_rollups');
}, 120_000);

function nodesOf(plan, out = []) {
  out.push(plan);
  for (const child of plan.Plans || []) nodesOf(child, out);
  return out;
}

const SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);

function scansOf(plan) {
  return nodesOf(plan).filter((n) => SCANS.has(n['Node Type']));
}

function expectIndexedRange(plan) {
  const nodes = nodesOf(plan);
  expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
  const indexed = nodes.filter((n) => ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'].includes(n['Node Type']));
  expect(indexed.length).toBeGreaterThan(0);
  for (const node of indexed) {
    expect(node['Index Cond']).toMatch(/window_start >=/);
    expect(node['Index Cond']).toMatch(/window_start </);
  }
}

const day = (d) => `store_rollups_p202403${String(d + 1).padStart(2, '0')}`;

describe('range query plans', () => {
  test('an hour of one rollup reads only the partition of its day, through an index on the range', async () => {
    const plan = await parts.queries.explain({ tenantId: 't-b', rollupId: 'cpu', from: '2024-03-06T10:00:00.000Z', to: '2024-03-06T11:00:00.000Z' });
    expect([...new Set(scansOf(plan).map((n) => n['Relation Name']))]).toEqual([day(5)]);
    expectIndexedRange(plan);
  });

  test('one series over an hour is found the same way', async () => {
    const plan = await parts.queries.explain({ tenantId: 't-a', rollupId: 'cpu', seriesKey: 'host=b', from: '2024-03-08T00:30:00.000Z', to: '2024-03-08T01:00:00.000Z' });
    expect([...new Set(scansOf(plan).map((n) => n['Relation Name']))]).toEqual([day(7)]);
    expectIndexedRange(plan);
  });

  test('a range over midnight reads the two days it touches and no other', async () => {
    const plan = await parts.queries.explain({ tenantId: 't-c', rollupId: 'cpu', from: '2024-03-04T23:30:00.000Z', to: '2024-03-05T00:30:00.000Z' });
    expect([...new Set(scansOf(plan).map((n) => n['Relation Name']))].sort()).toEqual([day(3), day(4)]);
    expectIndexedRange(plan);
  });

  test('the read returns what the plan promises: the hour\'s rows of the tenant only', async () => {
    const res = await parts.queries.series({ tenantId: 't-b', rollupId: 'cpu', from: '2024-03-06T10:00:00.000Z', to: '2024-03-06T11:00:00.000Z' });
    expect(res.series.map((s) => [s.seriesKey, s.points.length])).toEqual([['host=a', 60], ['host=b', 60]]);
  });
});

describe('statements per window', () => {
  test('a window costs one transaction of two statements; its day\'s partition is created once', async () => {
    store.postgres.resetStats();
    const start = Date.UTC(2024, 3, 20, 10);
    for (let i = 0; i < 20; i++) await parts.handleWindow(windowEvent({ tenantId: 't-w', start: start + i * MINUTE }));
    const { metrics } = store.postgres.stats();
    // one partition create (its own transaction: lock + create) and 20 writes (upsert + pending hour)
    expect(metrics.transactions).toBe(21);
    expect(metrics.queries).toBe(2 + 20 * 2);
  });

  test('a redelivered window costs one statement and writes nothing', async () => {
    const e = windowEvent({ tenantId: 't-w2', start: Date.UTC(2024, 3, 20, 11) });
    await parts.handleWindow(e);
    store.postgres.resetStats();
    const before = (await parts.archive.read('t-w2', 'checkout-amount', 'country=DE')).length;
    for (let i = 0; i < 5; i++) expect((await parts.handleWindow(e)).status).toBe('stale');
    expect(store.postgres.stats().metrics).toMatchObject({ transactions: 5, queries: 5 });
    expect((await parts.archive.read('t-w2', 'checkout-amount', 'country=DE')).length).toBe(before);
  });

  test('downsampling an hour costs the same few statements however many windows it holds', async () => {
    const count = async (minutes) => {
      const hour = Date.UTC(2024, 3, 21, minutes);
      for (let m = 0; m < minutes; m++) await parts.handleWindow(windowEvent({ tenantId: `t-ds-${minutes}`, start: hour + m * MINUTE }));
      await parts.downsampler.run();
      store.postgres.resetStats();
      await parts.handleWindow(windowEvent({ tenantId: `t-ds-${minutes}`, start: hour, revision: 2 }));
      store.postgres.resetStats();
      await parts.downsampler.run();
      return store.postgres.stats().metrics.queries;
    };
    const few = await count(2);
    const many = await count(50);
    expect(many).toBe(few);
  });
});
