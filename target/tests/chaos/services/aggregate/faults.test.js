'use strict';

const { useNamespace } = require('../../../support/namespace');
const { waitForEvent } = require('../../../support/wait-for');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { tapEvents } = require('../../../support/event-tap');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { createPublisher } = require('../../../../shared/events');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { aggregateHarness } = require('../../../unit/services/aggregate/harness');
const { routed } = require('../../../unit/services/aggregate/fixtures');

// Redis or the broker goes away in the middle of a window, or an instance dies with records
// read but not finished: every window still comes out with every record counted exactly once.

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const S = 1000;
const MIN = 60 * S;
const closers = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const ns = useNamespace({ databases: ['pipeline', 'metrics'] });

async function proxyTo(url) {
  const target = new URL(url);
  const proxy = await createFaultProxy({ host: target.hostname, port: Number(target.port) });
  closers.push(() => proxy.close());
  return proxy;
}

const minuteOf = (tenantId, n, offset = 0) => Array.from({ length: n }, (_, i) => routed({ tenantId, ts: T0 + offset + Math.floor((i * MIN) / n) }));
const counts = (h, rollupId) => h.windows(rollupId).map((w) => [w.start - T0, w.count]);

describe('Redis cut mid-window', () => {
  test('records being applied when Redis is cut are counted once after it comes back', async () => {
    const proxy = await proxyTo(ns.env.REDIS_URL);
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1', REDIS_URL: proxy.url(ns.env.REDIS_URL), RECONNECT_BASE_MS: '20', RECONNECT_MAX_MS: '50' } });
    await h.api('t-rcut').rollup({ rollupId: 'rcut', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    const events = minuteOf('t-rcut', 60);
    for (const e of events) await h.parts.ingress.handleRouted(e);
    let seen = 0;
    const onProcessed = () => {
      seen += 1;
      if (seen === 25) proxy.cut();
    };
    h.parts.events.on('processed', onProcessed);
    await h.parts.engine.pump().catch(() => {});
    h.parts.events.off('processed', onProcessed);
    if (h.service.redis.status !== 'ready') await waitForEvent(h.service.redis, 'ready');
    // Entries whose handling failed stay pending; this consumer takes them up again.
    await h.parts.engine.reclaim(0);
    await h.feed([routed({ tenantId: 't-rcut', ts: T0 + MIN })]);
    expect(counts(h, 'rcut')).toEqual([[0, 60]]);
    expect(h.emitted()).toHaveLength(1);
  }, 120_000);

  test('an instance that loses Redis for good is replaced by a new one on the same Redis: nothing lost, nothing twice', async () => {
    const proxy = await proxyTo(ns.env.REDIS_URL);
    const a = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1', REDIS_URL: proxy.url(ns.env.REDIS_URL), RECONNECT_BASE_MS: '20', RECONNECT_MAX_MS: '50' } });
    await a.api('t-replace').rollup({ rollupId: 'replace', field: 'properties.v', window: { kind: 'tumbling', sizeMs: MIN } });
    const events = minuteOf('t-replace', 40).map((e, i) => ({ ...e, data: { ...e.data, record: { ...e.data.record, properties: { v: i + 1 } } } }));
    for (const e of events) await a.parts.ingress.handleRouted(e);
    let seen = 0;
    a.parts.events.on('processed', () => {
      seen += 1;
      if (seen === 15) {
        // The instance's connection dies and it never reconnects.
        proxy.refuse(true);
        a.service.redis.disconnect();
        proxy.cut();
      }
    });
    await a.parts.engine.pump().catch(() => {});
    const b = await aggregateHarness(ns, { prefix: a.prefix, env: { AGGREGATE_PARTITIONS: '1' } });
    await b.parts.engine.reclaim(0);
    await b.feed([routed({ tenantId: 't-replace', ts: T0 + MIN, properties: { v: 0 } })]);
    expect(b.windows('replace').map((w) => [w.start - T0, w.count, w.sum])).toEqual([[0, 40, (40 * 41) / 2]]);
  }, 120_000);
});

describe('aggregate restarted mid-window', () => {
  test('a new instance under the same consumer name resumes the unfinished records of the old one', async () => {
    const a = await aggregateHarness(ns, { consumerName: 'restart-me', env: { AGGREGATE_PARTITIONS: '2', AGGREGATE_BATCH: '10' } });
    await a.api('t-restart').rollup({ rollupId: 'restart', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    const events = minuteOf('t-restart', 50);
    for (const e of events) await a.parts.ingress.handleRouted(e);
    // The old instance dies while its handler is busy: the entry it was on is never acked.
    let seen = 0;
    a.parts.events.on('processed', () => {
      seen += 1;
      if (seen === 23) throw new Error('crash');
    });
    await a.parts.engine.pump().catch(() => {});
    await a.close();
    const b = await aggregateHarness(ns, { prefix: a.prefix, consumerName: 'restart-me', env: { AGGREGATE_PARTITIONS: '2', AGGREGATE_BATCH: '10' } });
    await b.feed([routed({ tenantId: 't-restart', ts: T0 + 2 * MIN })]);
    expect(counts(b, 'restart')).toEqual([[0, 50]]);
    expect(a.emitted().length + b.emitted().filter((e) => e.data.windowStart === new Date(T0).toISOString()).length).toBe(1);
  }, 120_000);

  test('a window half-filled by one instance and finished by its successor is emitted once with every record', async () => {
    const a = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await a.api('t-handover').rollup({ rollupId: 'handover', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    const events = minuteOf('t-handover', 30);
    await a.feed(events.slice(0, 12));
    await a.close();
    const b = await aggregateHarness(ns, { prefix: a.prefix, env: { AGGREGATE_PARTITIONS: '1' } });
    await b.feed([...events.slice(12), routed({ tenantId: 't-handover', ts: T0 + MIN })]);
    expect(a.emitted()).toHaveLength(0);
    expect(counts(b, 'handover')).toEqual([[0, 30]]);
  }, 120_000);
});

describe('broker cut while windows are emitted', () => {
  test('a window closed while the broker is away is published once it is back, exactly once', async () => {
    const proxy = await proxyTo(ns.env.AMQP_URL);
    const clock = createFakeClock(T0);
    const rabbit = createRabbit({ AMQP_URL: proxy.url(ns.env.AMQP_URL), SERVICE_NAME: 'aggregate', RECONNECT_BASE_MS: 100, RECONNECT_MAX_MS: 100 }, { logger: silentLogger, clock });
    closers.push(() => rabbit.close());
    await rabbit.connect();
    const tap = await tapEvents(ns, 'aggregate.window.closed');
    closers.push(() => tap.close());
    const h = await aggregateHarness(ns, { clock, publisher: createPublisher({ rabbit, clock, appId: 'aggregate' }), env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-bcut').rollup({ rollupId: 'bcut', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    await h.feed(minuteOf('t-bcut', 20));
    const disconnected = waitForEvent(rabbit, 'disconnected');
    const scheduled = waitForEvent(rabbit, 'reconnect-scheduled');
    proxy.refuse(true);
    proxy.cut();
    await disconnected;
    await h.feed([routed({ tenantId: 't-bcut', ts: T0 + MIN + 1 })]);
    expect(h.parts.engine.stats().publishFailures).toBeGreaterThan(0);
    expect(h.parts.engine.stats().emitted).toBe(0);
    proxy.refuse(false);
    const { delay } = await scheduled;
    const reconnected = waitForEvent(rabbit, 'reconnected');
    await clock.advanceAsync(delay);
    await reconnected;
    await h.parts.engine.advance();
    await h.parts.engine.advance();
    await tap.until(() => tap.events.some((e) => e.tenantId === 't-bcut'));
    // A later window through the same broker proves the tap has seen everything before it.
    await h.feed([routed({ tenantId: 't-bcut', ts: T0 + 3 * MIN })]);
    await tap.until(() => tap.events.filter((e) => e.tenantId === 't-bcut').length >= 2);
    const mine = tap.events.filter((e) => e.tenantId === 't-bcut').map((e) => [Date.parse(e.data.windowStart) - T0, e.data.count, e.data.revision]);
    expect(mine).toEqual([[0, 20, 1], [MIN, 1, 1]]);
  }, 120_000);
});

describe('broker cut while routed records are delivered', () => {
  test('records redelivered after a cut are appended once: the window counts each record once', async () => {
    const proxy = await proxyTo(ns.env.AMQP_URL);
    const clock = createFakeClock(T0);
    const amqp = require('amqplib');
    const conn = await amqp.connect(ns.env.AMQP_URL);
    closers.push(() => conn.close().catch(() => {}));
    const ch = await conn.createConfirmChannel();
    const { bootService } = require('../../../support/boot-service');
    const rabbit = createRabbit({ AMQP_URL: proxy.url(ns.env.AMQP_URL), SERVICE_NAME: 'aggregate', RECONNECT_BASE_MS: 100, RECONNECT_MAX_MS: 100 }, { logger: silentLogger, clock });
    closers.push(() => rabbit.close());
    const { recordingPublisher } = require('../../../unit/services/aggregate/fixtures');
    const publisher = recordingPublisher();
    const svc = await bootService('aggregate', {
      ns,
      clock,
      consumers: true,
      clients: { rabbit, publisher },
      env: { AGGREGATE_PARTITIONS: '1', REDIS_PREFIX: `${ns.env.REDIS_PREFIX}redeliver:`, AGGREGATE_PREFETCH: '5' },
    });
    closers.push(() => svc.close());
    const { tenantApi } = require('../../../unit/services/aggregate/fixtures');
    const api = tenantApi(svc.app, 't-redeliver');
    await api.rollup({ rollupId: 'redeliver', field: 'count', window: { kind: 'tumbling', sizeMs: MIN } });
    const events = minuteOf('t-redeliver', 30);
    const appended = new Set();
    let cutDone = false;
    const disconnected = waitForEvent(rabbit, 'disconnected');
    const scheduled = waitForEvent(rabbit, 'reconnect-scheduled');
    svc.app.aggregateParts.events.on('appended', (a) => {
      appended.add(a.id);
      if (!cutDone && appended.size === 8) {
        cutDone = true;
        proxy.cut();
      }
    });
    for (const e of events) ch.publish('dn.events', 'router.routed', Buffer.from(JSON.stringify(e)), { messageId: e.id, persistent: true });
    await ch.waitForConfirms();
    await disconnected;
    const { delay } = await scheduled;
    await clock.advanceAsync(delay);
    const closing = routed({ tenantId: 't-redeliver', ts: T0 + MIN });
    const minute = new Date(T0).toISOString();
    const emitted = waitForEvent(svc.app.aggregateParts.events, 'emitted', { filter: (e) => e.tenantId === 't-redeliver' && e.data.windowStart === minute });
    const allAppended = () => events.every((e) => appended.has(e.id));
    if (!allAppended()) await waitForEvent(svc.app.aggregateParts.events, 'appended', { filter: allAppended });
    ch.publish('dn.events', 'router.routed', Buffer.from(JSON.stringify(closing)), { messageId: closing.id, persistent: true });
    await ch.waitForConfirms();
    await emitted;
    // Every window event the tenant got: the one minute, each record counted once.
    expect(publisher.published.map(({ envelope }) => [envelope.data.windowStart, envelope.data.count])).toEqual([[minute, 30]]);
  }, 120_000);
});
