'use strict';

const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createObjectStore } = require('../../../../shared/clients/objectstore');
const { bootService } = require('../../../support/boot-service');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { createDeferred } = require('../../../support/deferred');
const { waitForEvent } = require('../../../support/wait-for');
const { call } = require('../../../support/http');
const { createPrng } = require('../../../../shared/utils/prng');
const { windowEvent, tenantApi, MINUTE } = require('../../../unit/services/store/fixtures');

// The database or the broker goes away while windows are being written: once they are back,
// every window is stored exactly once, with its highest revision, in the database and in the
// archive.

const closers = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const ns = useNamespace({ databases: ['metrics'] });
let conn;
let ch;

beforeAll(async () => {
  conn = await amqp.connect(ns.env.AMQP_URL);
  ch = await conn.createConfirmChannel();
  closers.push(() => conn.close().catch(() => {}));
});

async function proxyTo(url) {
  const target = new URL(url);
  const proxy = await createFaultProxy({ host: target.hostname, port: Number(target.port) });
  closers.push(() => proxy.close());
  return proxy;
}

async function bootStore({ env = {}, clock = createFakeClock(Date.UTC(2024, 5, 1)), objectStore } = {}) {
  const clients = objectStore ? { objectStore } : {};
  const store = await bootService('store', { ns, clock, consumers: true, env: { RECONNECT_BASE_MS: '100', RECONNECT_MAX_MS: '100', ...env }, clients });
  closers.push(() => store.close());
  return store;
}

// Every test's store consumes the one store.rollups queue: each is stopped when its test ends, so
// the next test's windows reach the next test's store only.
let current;
afterEach(async () => {
  if (current) await current.close();
  current = undefined;
});
const started = async (options) => {
  current = await bootStore(options);
  return current;
};

/** Collects the store's 'written' announcements; `until(ids)` resolves once each id has one. */
function watch(store) {
  const written = [];
  store.app.storeParts.events.on('written', (e) => written.push(e));
  return {
    written,
    until(ids) {
      const missing = () => ids.filter((id) => !written.some((w) => w.eventId === id));
      return this.when(() => missing().length === 0);
    },
    /** Resolves once `condition()` holds: now, or after the 'written' that makes it hold. */
    when(condition) {
      if (condition()) return Promise.resolve();
      return waitForEvent(store.app.storeParts.events, 'written', { filter: () => condition() });
    },
  };
}

async function publish(envelopes) {
  for (const e of envelopes) ch.publish('dn.events', 'aggregate.window.closed', Buffer.from(JSON.stringify(e)), { messageId: e.id, persistent: true });
  await ch.waitForConfirms();
}

async function storedOf(store, tenantId) {
  const { rows } = await store.postgres.query('metrics', "SELECT series_key, window_start, revision, count, sum FROM store_rollups WHERE tenant_id = $1 AND resolution = '1m' ORDER BY series_key, window_start", [tenantId]);
  return rows.map((r) => [r.series_key, r.window_start.toISOString(), r.revision, Number(r.count), r.sum]);
}

const expectedOf = (envelopes) => {
  const best = new Map();
  for (const e of envelopes) {
    const key = `${e.data.seriesKey}|${e.data.windowStart}`;
    if (!best.has(key) || best.get(key).data.revision < e.data.revision) best.set(key, e);
  }
  return [...best.values()]
    .map((e) => [e.data.seriesKey, e.data.windowStart, e.data.revision, e.data.count, e.data.sum])
    .sort((a, b) => (`${a[0]}|${a[1]}` < `${b[0]}|${b[1]}` ? -1 : 1));
};

function windows(tenantId, n, { series = 2, start = Date.UTC(2024, 4, 30, 10) } = {}) {
  return Array.from({ length: n }, (_, i) => windowEvent({ tenantId, seriesKey: `s=${i % series}`, start: start + Math.floor(i / series) * MINUTE, values: [i, i + 1] }));
}

describe('the database is cut mid-write', () => {
  test('windows in flight when the connection is cut are retried and stored once each', async () => {
    const proxy = await proxyTo(ns.env.METRICS_DATABASE_URL);
    const store = await started({ env: { METRICS_DATABASE_URL: proxy.url(ns.env.METRICS_DATABASE_URL), STORE_PREFETCH: '8' } });
    const seen = watch(store);
    const sent = windows('t-dbcut', 24);
    await store.app.storeParts.partitions.ensure(Date.parse(sent[0].data.windowStart));
    proxy.stall(true);
    const held = waitForEvent(proxy, 'held', { filter: (h) => h.direction === 'up' });
    await publish(sent);
    await held;
    const failed = waitForEvent(store.app.storeParts.events, 'failed');
    proxy.cut();
    proxy.stall(false);
    await failed;
    await seen.until(sent.map((e) => e.id));
    expect(await storedOf(store, 't-dbcut')).toEqual(expectedOf(sent));
    for (const s of ['s=0', 's=1']) {
      const archived = await store.app.storeParts.archive.read('t-dbcut', 'checkout-amount', s);
      expect(archived.map((p) => p.windowStart)).toEqual(sent.filter((e) => e.data.seriesKey === s).map((e) => e.data.windowStart));
    }
  }, 60_000);

  test('while the database is away the API answers 503 STORE_STORE_UNAVAILABLE, and serves again after', async () => {
    const proxy = await proxyTo(ns.env.METRICS_DATABASE_URL);
    const store = await started({ env: { METRICS_DATABASE_URL: proxy.url(ns.env.METRICS_DATABASE_URL) } });
    const api = tenantApi(store.app, 't-down');
    const range = { from: '2024-05-30T10:00:00.000Z', to: '2024-05-30T11:00:00.000Z' };
    expect((await api.series('checkout-amount', range)).statusCode).toBe(200);
    proxy.refuse(true);
    proxy.cut();
    const down = await api.series('checkout-amount', range);
    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe('STORE_STORE_UNAVAILABLE');
    expect((await call(store.app, '/ready')).statusCode).toBe(503);
    proxy.refuse(false);
    expect((await api.series('checkout-amount', range)).statusCode).toBe(200);
  }, 60_000);
});

describe('the broker redelivers', () => {
  test('a connection cut after the write and before the ack redelivers windows that are then recognised', async () => {
    const proxy = await proxyTo(ns.env.AMQP_URL);
    const clock = createFakeClock(Date.UTC(2024, 5, 1));
    const real = createObjectStore(ns.env, { clock });
    const reached = createDeferred();
    const release = createDeferred();
    let holding = true;
    // the first window's archive append waits: its transaction is open when the broker goes
    const objectStore = {
      ...real,
      async putObject(...args) {
        if (holding && String(args[1]).startsWith('archive/')) {
          holding = false;
          reached.resolve();
          await release.promise;
        }
        return real.putObject(...args);
      },
    };
    const store = await started({ clock, objectStore, env: { AMQP_URL: proxy.url(ns.env.AMQP_URL), STORE_PREFETCH: '4' } });
    const seen = watch(store);
    const sent = windows('t-redeliver', 12);
    await publish(sent);
    await reached.promise;
    const scheduled = waitForEvent(store.rabbit, 'reconnect-scheduled');
    proxy.cut();
    const { delay } = await scheduled;
    release.resolve();
    const reconnected = waitForEvent(store.rabbit, 'reconnected');
    await clock.advanceAsync(delay);
    await reconnected;
    await seen.until(sent.map((e) => e.id));
    expect(await storedOf(store, 't-redeliver')).toEqual(expectedOf(sent));
    expect(seen.written.filter((w) => w.status === 'written').map((w) => w.eventId).sort()).toEqual(sent.map((e) => e.id).sort());
    const archived = await store.app.storeParts.archive.read('t-redeliver', 'checkout-amount', 's=0');
    expect(archived).toHaveLength(6);
  }, 60_000);

  test('duplicated and reordered deliveries of several revisions keep the highest revision of each window', async () => {
    const store = await started();
    const seen = watch(store);
    const prng = createPrng('revisions');
    const start = Date.UTC(2024, 4, 31, 9);
    const all = [];
    for (let w = 0; w < 6; w++) {
      for (let r = 1; r <= 1 + (w % 3); r++) all.push(windowEvent({ tenantId: 't-reorder', start: start + w * MINUTE, revision: r, values: Array(r).fill(w) }));
    }
    const deliveries = prng.shuffle([...all, ...all, ...prng.shuffle(all).slice(0, 5)]);
    await publish(deliveries);
    await seen.until(all.map((e) => e.id));
    await seen.when(() => seen.written.filter((w) => w.tenantId === 't-reorder').length === deliveries.length);
    expect(seen.written.filter((w) => w.status === 'written').length).toBeLessThanOrEqual(all.length);
    expect(await storedOf(store, 't-reorder')).toEqual(expectedOf(all));
    expect((await store.app.storeParts.archive.read('t-reorder', 'checkout-amount', 'country=DE')).map((p) => p.revision)).toEqual([1, 2, 3, 1, 2, 3]);
  }, 60_000);
});

describe('the object store fails', () => {
  test('a window whose archive append fails is rolled back and stored whole on its retry', async () => {
    const clock = createFakeClock(Date.UTC(2024, 5, 1));
    const real = createObjectStore(ns.env, { clock });
    let failures = 2;
    const objectStore = {
      ...real,
      async putObject(...args) {
        if (failures > 0 && String(args[1]).startsWith('archive/')) {
          failures -= 1;
          throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        }
        return real.putObject(...args);
      },
    };
    const store = await started({ clock, objectStore });
    const seen = watch(store);
    const failed = [];
    store.app.storeParts.events.on('failed', (e) => failed.push(e));
    const sent = windows('t-objfail', 4, { series: 1 });
    await publish(sent);
    await seen.until(sent.map((e) => e.id));
    expect(failed).toHaveLength(2);
    expect(await storedOf(store, 't-objfail')).toEqual(expectedOf(sent));
    expect((await store.app.storeParts.archive.read('t-objfail', 'checkout-amount', 's=0')).map((p) => p.sum)).toEqual(sent.map((e) => e.data.sum));
  }, 60_000);
});
