'use strict';

const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { runMigrations } = require('../../../../shared/utils/migrate');
const { bootService } = require('../../../support/boot-service');
const { waitForEvent } = require('../../../support/wait-for');
const { MIGRATIONS_DIR } = require('../../../../services/store/src/index');
const { windowEvent, tenantApi, MINUTE } = require('../../../unit/services/store/fixtures');

// Windows published by aggregate reach the store over the broker and are read back through its
// HTTP API: one row per window, the highest revision kept, a redelivery harmless.

const ns = useNamespace({ databases: ['metrics'] });
let store;
let conn;
let ch;

beforeAll(async () => {
  const clock = createFakeClock(Date.UTC(2024, 4, 2));
  store = await bootService('store', { ns, clock, consumers: true, env: { STORE_EXPORT_DIR: `${ns.env.OBJECT_STORE_DIR}/exports` } });
  conn = await amqp.connect(ns.env.AMQP_URL);
  ch = await conn.createConfirmChannel();
});
ns.cleanup(async () => {
  await store.close();
  await conn.close().catch(() => {});
});

/** Publishes a window as aggregate does and resolves with what the store did with it. */
async function deliver(envelope) {
  const done = waitForEvent(store.app.storeParts.events, 'written', { filter: (e) => e.eventId === envelope.id });
  ch.publish('dn.events', 'aggregate.window.closed', Buffer.from(JSON.stringify(envelope)), { messageId: envelope.id, contentType: 'application/json', persistent: true });
  await ch.waitForConfirms();
  return done;
}

const rowsOf = async (tenantId, rollupId) => (await store.postgres.query('metrics',
  'SELECT series_key, resolution, window_start, revision, count, sum FROM store_rollups WHERE tenant_id = $1 AND rollup_id = $2 ORDER BY series_key, resolution, window_start',
  [tenantId, rollupId])).rows;

describe('storage', () => {
  test('migrations are recorded in store_migrations and a second run applies nothing', async () => {
    const { rows } = await store.postgres.query('metrics', 'SELECT name FROM store_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(['1_rollups.sql']);
    expect(await runMigrations(store.postgres.pool('metrics'), MIGRATIONS_DIR, { table: 'store_migrations' })).toEqual([]);
  });

  test('store_rollups is partitioned by range on window_start, one partition per day created as windows arrive', async () => {
    const { rows: [kind] } = await store.postgres.query('metrics', "SELECT pg_get_partkeydef('store_rollups'::regclass) AS key");
    expect(kind.key).toBe('RANGE (window_start)');
    for (const day of ['2024-03-01', '2024-03-03', '2024-03-02']) {
      expect((await deliver(windowEvent({ tenantId: 't-part', start: `${day}T23:59:00.000Z` }))).status).toBe('written');
    }
    const names = await store.app.storeParts.partitions.list();
    expect(names).toEqual(expect.arrayContaining(['store_rollups_p20240301', 'store_rollups_p20240302', 'store_rollups_p20240303']));
    const { rows } = await store.postgres.query('metrics', "SELECT tableoid::regclass::text AS part FROM store_rollups WHERE tenant_id = 't-part' ORDER BY window_start");
    expect(rows.map((r) => r.part)).toEqual(['store_rollups_p20240301', 'store_rollups_p20240302', 'store_rollups_p20240303']);
  });
});

describe('writing windows over the broker', () => {
  test('a window is stored with its figures and read back through the series API', async () => {
    const e = windowEvent({ tenantId: 't-read', values: [10, 20, 30, 40], bounds: [15, 35] });
    expect(await deliver(e)).toMatchObject({ status: 'written', tenantId: 't-read', rollupId: 'checkout-amount', revision: 1 });
    const res = await tenantApi(store.app, 't-read').series('checkout-amount', { from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T11:00:00.000Z' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      rollupId: 'checkout-amount',
      resolution: '1m',
      from: '2024-05-01T10:00:00.000Z',
      to: '2024-05-01T11:00:00.000Z',
      series: [{
        seriesKey: 'country=DE',
        points: [{
          windowKind: 'tumbling', windowStart: '2024-05-01T10:00:00.000Z', windowEnd: '2024-05-01T10:01:00.000Z', revision: 1,
          count: 4, sum: 100, min: 10, max: 40, mean: 25, variance: 125, histogram: { bounds: [15, 35], counts: [1, 2, 1] },
        }],
      }],
    });
  });

  test('a redelivered window and an older revision change nothing; a higher revision replaces the window', async () => {
    const v1 = windowEvent({ tenantId: 't-rev', values: [1, 2] });
    const v2 = windowEvent({ tenantId: 't-rev', values: [1, 2, 3], revision: 2 });
    expect((await deliver(v1)).status).toBe('written');
    expect((await deliver(v2)).status).toBe('written');
    expect((await deliver(v1)).status).toBe('stale');
    expect((await deliver(v2)).status).toBe('stale');
    expect(await rowsOf('t-rev', 'checkout-amount')).toEqual([
      expect.objectContaining({ series_key: 'country=DE', resolution: '1m', revision: 2, count: '3', sum: 6 }),
    ]);
  });

  test('series are kept apart and a range returns each in window order, [from, to) on window start', async () => {
    const api = tenantApi(store.app, 't-range');
    const start = Date.parse('2024-05-01T12:00:00.000Z');
    for (const [i, seriesKey] of [[2, 'country=FR'], [0, 'country=DE'], [1, 'country=FR'], [3, 'country=DE'], [4, 'country=DE']]) {
      await deliver(windowEvent({ tenantId: 't-range', seriesKey, start: start + i * MINUTE, values: [i] }));
    }
    const all = (await api.series('checkout-amount', { from: '2024-05-01T12:00:00.000Z', to: '2024-05-01T12:04:00.000Z' })).json();
    expect(all.series.map((s) => [s.seriesKey, s.points.map((p) => p.sum)])).toEqual([['country=DE', [0, 3]], ['country=FR', [1, 2]]]);
    const one = (await api.series('checkout-amount', { from: '2024-05-01T12:01:30.000Z', to: '2024-05-01T13:00:00.000Z', seriesKey: 'country=DE' })).json();
    // from is taken at the start of its minute: 12:01 counts, so DE's 12:03 and 12:04
    expect(one.from).toBe('2024-05-01T12:01:00.000Z');
    expect(one.series).toEqual([{ seriesKey: 'country=DE', points: [expect.objectContaining({ sum: 3 }), expect.objectContaining({ sum: 4 })] }]);
  });

  test('session and hopping windows are stored as emitted, with their own start and end', async () => {
    const session = windowEvent({ tenantId: 't-kinds', rollupId: 'visits', start: '2024-05-01T10:00:17.250Z', sizeMs: 95_000, windowKind: 'session', values: [3] });
    const hop = windowEvent({ tenantId: 't-kinds', rollupId: 'visits', seriesKey: 'h', start: '2024-05-01T10:00:30.000Z', windowKind: 'hopping', values: [4] });
    await deliver(session);
    await deliver(hop);
    const { series } = (await tenantApi(store.app, 't-kinds').series('visits', { from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T10:05:00.000Z' })).json();
    expect(series).toEqual([
      { seriesKey: '', points: [] },
      { seriesKey: 'country=DE', points: [expect.objectContaining({ windowKind: 'session', windowStart: '2024-05-01T10:00:17.250Z', windowEnd: '2024-05-01T10:01:52.250Z' })] },
      { seriesKey: 'h', points: [expect.objectContaining({ windowKind: 'hopping', windowStart: '2024-05-01T10:00:30.000Z' })] },
    ].filter((s) => s.points.length > 0));
  });

  test('a delivery that is not an aggregate.window.closed is rejected at once and goes to the dead queue', async () => {
    const bad = windowEvent({ tenantId: 't-bad' });
    bad.data.count = -1;
    const rejected = waitForEvent(store.app.storeParts.events, 'rejected', { filter: (e) => e.eventId === bad.id });
    ch.publish('dn.events', 'aggregate.window.closed', Buffer.from(JSON.stringify(bad)), { messageId: bad.id, persistent: true });
    await ch.waitForConfirms();
    expect((await rejected).err.code).toBe('STORE_EVENT_INVALID');
    const dead = await conn.createChannel();
    const msg = await waitForDead(dead);
    expect(JSON.parse(msg.content.toString()).id).toBe(bad.id);
    await dead.close();
    expect(await rowsOf('t-bad', 'checkout-amount')).toEqual([]);
  });
});

// The dead-lettering nack and the broker's move to the dead queue happen after the handler's
// 'rejected'; a consumer on the dead queue receives it when it lands.
function waitForDead(channel) {
  return new Promise((resolve) => {
    channel.consume('store.rollups.dead', (msg) => {
      if (msg) resolve(msg);
    }, { noAck: true });
  });
}

describe('tenants', () => {
  test('a tenant reads its own rollups only', async () => {
    await deliver(windowEvent({ tenantId: 't-own-a', rollupId: 'shared-name', values: [5] }));
    await deliver(windowEvent({ tenantId: 't-own-b', rollupId: 'shared-name', values: [7] }));
    const range = { from: '2024-05-01T10:00:00.000Z', to: '2024-05-01T10:01:00.000Z' };
    expect((await tenantApi(store.app, 't-own-a').series('shared-name', range)).json().series[0].points[0].sum).toBe(5);
    expect((await tenantApi(store.app, 't-own-b').series('shared-name', range)).json().series[0].points[0].sum).toBe(7);
    expect((await tenantApi(store.app, 't-own-c').series('shared-name', range)).json().series).toEqual([]);
  });
});
