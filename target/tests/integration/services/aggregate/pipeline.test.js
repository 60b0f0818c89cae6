'use strict';

const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { runMigrations } = require('../../../../shared/utils/migrate');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { MIGRATIONS_DIR } = require('../../../../services/aggregate/src/index');
const { routed, tenantApi, tumbling, windowsOf } = require('../../../unit/services/aggregate/fixtures');

// Aggregate on the real broker: router.routed in through aggregate.routed, windows out as
// aggregate.window.closed on dn.events.

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const ns = useNamespace({ databases: ['pipeline', 'metrics'] });
let aggregate;
let tap;
let conn;
let ch;

beforeAll(async () => {
  const clock = createFakeClock(T0);
  aggregate = await bootService('aggregate', { ns, clock, consumers: true, env: { AGGREGATE_PARTITIONS: '1' } });
  tap = await tapEvents(ns, 'aggregate.window.closed');
  conn = await amqp.connect(ns.env.AMQP_URL);
  ch = await conn.createConfirmChannel();
});
ns.cleanup(async () => {
  await aggregate.close();
  await tap.close();
  await conn.close().catch(() => {});
});

async function deliver(envelope) {
  ch.publish('dn.events', 'router.routed', Buffer.from(JSON.stringify(envelope)), { messageId: envelope.id, contentType: 'application/json', persistent: true });
  await ch.waitForConfirms();
}

describe('storage', () => {
  test('migrations are recorded in aggregate_migrations and a second run applies nothing', async () => {
    const { rows } = await aggregate.postgres.query('metrics', 'SELECT name FROM aggregate_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(['1_rollups.sql']);
    expect(await runMigrations(aggregate.postgres.pool('metrics'), MIGRATIONS_DIR, { table: 'aggregate_migrations' })).toEqual([]);
  });
});

describe('routed records to closed windows over the broker', () => {
  test('a tumbling count rollup emits each minute once the next minute has begun', async () => {
    const api = tenantApi(aggregate.app, 'tenant-acme');
    await api.rollup(tumbling('pageviews', 60_000, { topic: 'web', eventName: 'pageview' }));
    const stamps = [T0 + 1_000, T0 + 30_000, T0 + 59_999, T0 + 60_000, T0 + 61_000, T0 + 125_000];
    for (const ts of stamps) await deliver(routed({ ts }));
    await tap.until(() => windowsOf(tap.events, 'pageviews').length >= 2);
    const windows = windowsOf(tap.events, 'pageviews');
    expect(windows.map((w) => [w.start - T0, w.end - T0, w.count, w.revision])).toEqual([
      [0, 60_000, 3, 1],
      [60_000, 120_000, 2, 1],
    ]);
    expect(tap.events[0]).toMatchObject({ type: 'aggregate.window.closed', tenantId: 'tenant-acme', version: 1 });
    expect(tap.events[0].id).toMatch(/^agg-[0-9a-f]{40}$/);
  });
});
