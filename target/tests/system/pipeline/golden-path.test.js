'use strict';

const { useNamespace } = require('../../support/namespace');
const { createFaultProxy } = require('../../support/fault-proxy');
const { waitForEvent, stallWatch, stalled, STALL_MS } = require('../../support/wait-for');
const { createFakeClock } = require('../../../shared/utils/clock');
const { createPrng } = require('../../../shared/utils/prng');
const { apiKey, viaGateway, allEmit } = require('./segment');
const { startPipeline } = require('./pipeline');

// The golden path: events a tenant sends through the gateway come out of the pipeline (ingestion,
// transform, router, aggregate, store) as per-minute rollups in the metrics database, each event
// counted exactly once, also when the broker is cut, when aggregate's Redis is cut and when
// aggregate restarts in the middle of a window. Expected figures are computed here, from the
// events sent, never read from the services.
//
// Every service reaches RabbitMQ through one fault proxy, aggregate reaches Redis through another.
// The tests share one tenant and run in order on later and later event times: the watermark is
// aggregate's, one for all. Each test closes its windows with a barrier: an event per series ten
// minutes later that no rollup counts (aggregate tolerates five minutes of disorder).

const ns = useNamespace({ databases: ['users', 'pipeline', 'metrics'] });
const TENANT = 'tenant-golden';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1, 10);
const COUNTRIES = ['DE', 'FR'];
const BROKER_USERS = ['ingestion', 'transform', 'router', 'aggregate', 'store'];

let clock;
let amqpProxy;
let redisProxy;
let pipeline;
let key;
const written = [];

async function proxyTo(url) {
  const target = new URL(url);
  return createFaultProxy({ host: target.hostname, port: Number(target.port) });
}

function listen(store) {
  store.app.storeParts.events.on('written', (e) => written.push(e));
}

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1, 12));
  amqpProxy = await proxyTo(ns.env.AMQP_URL);
  redisProxy = await proxyTo(ns.env.REDIS_URL);
  pipeline = await startPipeline(ns, {
    clock,
    env: { AMQP_URL: amqpProxy.url(ns.env.AMQP_URL), OUTBOX_INTERVAL_MS: '1000' },
    // events of a request arrive in any order within their few minutes: aggregate waits 5 minutes
    // of event time before it closes a window
    aggregateEnv: { REDIS_URL: redisProxy.url(ns.env.REDIS_URL), AGGREGATE_PARTITIONS: '2', AGGREGATE_CONSUMER: 'golden', AGGREGATE_OUT_OF_ORDER_MS: '300000' },
  });
  listen(pipeline.services.store);
  key = await apiKey(pipeline.services, TENANT);
  const topic = await viaGateway(pipeline.services, '/api/v1/router/topics', { key, method: 'POST', body: { name: 'all' } });
  expect(topic.status).toBe(201);
  const sub = await viaGateway(pipeline.services, '/api/v1/router/topics/all/subscriptions', { key, method: 'POST', body: { pattern: '#' } });
  expect(sub.status).toBe(201);
}, 120_000);

ns.cleanup(async () => {
  if (pipeline) await pipeline.stop();
  if (amqpProxy) await amqpProxy.close();
  if (redisProxy) await redisProxy.close();
});

async function rollup(rollupId, name, window = { kind: 'tumbling', sizeMs: MINUTE }) {
  const res = await viaGateway(pipeline.services, '/api/v1/aggregate/rollups', {
    key,
    method: 'POST',
    body: { rollupId, eventName: name, field: 'properties.amount', groupBy: ['country'], window, functions: ['count', 'sum', 'min', 'max', 'mean'] },
  });
  expect(res.status).toBe(201);
}

/** `n` checkout events named `name`, from a fixed seed, at event times in [base, base + spanMs). */
function generate(prefix, name, base, n, { spanMs = 3 * MINUTE, seed = prefix } = {}) {
  const prng = createPrng(seed);
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${prefix}-${i + 1}`,
    source: 'web',
    name,
    ts: new Date(base + prng.int(0, spanMs - 1)).toISOString(),
    properties: { amount: prng.int(1, 500) },
    dimensions: { country: prng.pick(COUNTRIES) },
  }));
}

async function send(events) {
  for (let i = 0; i < events.length; i += 200) {
    const res = await viaGateway(pipeline.services, '/api/v1/ingestion/events', { key, method: 'POST', body: { events: events.slice(i, i + 200) }, headers: { 'x-schema-version': '2' } });
    expect(res.status).toBe(202);
  }
}

/** One event per series at `ts`, counted by no rollup: it moves the watermark past what came before. */
function barrier(prefix, ts) {
  return COUNTRIES.map((country) => ({ eventId: `${prefix}-${country}`, source: 'web', name: 'golden.tick', ts: new Date(ts).toISOString(), properties: {}, dimensions: { country } }));
}

/** Per (series, window start): the figures the events give, for windows of `sizeMs`. */
function expectedRollups(events, sizeMs = MINUTE) {
  const out = new Map();
  for (const e of events) {
    const start = new Date(Math.floor(Date.parse(e.ts) / sizeMs) * sizeMs).toISOString();
    const k = `country=${e.dimensions.country}|${start}`;
    const r = out.get(k) || { seriesKey: `country=${e.dimensions.country}`, windowStart: start, count: 0, sum: 0, min: Infinity, max: -Infinity };
    const v = e.properties.amount;
    Object.assign(r, { count: r.count + 1, sum: r.sum + v, min: Math.min(r.min, v), max: Math.max(r.max, v) });
    out.set(k, r);
  }
  return [...out.values()].sort((a, b) => (`${a.seriesKey}|${a.windowStart}` < `${b.seriesKey}|${b.windowStart}` ? -1 : 1));
}

/** Resolves once the store has written every window of `expected` at its final figures. */
function storeHas(rollupId, expected) {
  const done = () => expected.every((x) => written.some((w) => w.rollupId === rollupId && w.seriesKey === x.seriesKey && w.windowStart === x.windowStart));
  if (done()) return Promise.resolve();
  return waitForEvent(pipeline.services.store.app.storeParts.events, 'written', { filter: () => done() });
}

async function rowsOf(rollupId) {
  const { rows } = await pipeline.services.store.clients.postgres.query('metrics',
    `SELECT series_key, window_start, revision, count, sum, min, max, mean FROM store_rollups
      WHERE tenant_id = $1 AND rollup_id = $2 AND resolution = '1m' ORDER BY series_key, window_start`, [TENANT, rollupId]);
  return rows.map((r) => ({ seriesKey: r.series_key, windowStart: r.window_start.toISOString(), count: Number(r.count), sum: r.sum, min: r.min, max: r.max }));
}

/** The rollups as a tenant reads them through the gateway. */
async function viaApi(rollupId, from, to) {
  const res = await viaGateway(pipeline.services, `/api/v1/store/rollups/${rollupId}/series?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`, { key });
  expect(res.status).toBe(200);
  return res.body.series.flatMap((s) => s.points.map((p) => ({ seriesKey: s.seriesKey, windowStart: p.windowStart, count: p.count, sum: p.sum, min: p.min, max: p.max })));
}

async function expectExactlyOnce(rollupId, events, from, to) {
  const expected = expectedRollups(events);
  await storeHas(rollupId, expected);
  await untilStored(rollupId, expected);
  // a barrier on the store side: whatever was still on its way for these windows is written by now
  expect(await rowsOf(rollupId)).toEqual(expected);
  expect(await viaApi(rollupId, from, to)).toEqual(expected);
  expect(expected.reduce((n, r) => n + r.count, 0)).toBe(events.length);
}

/**
 * Counts the distinct routed records aggregate announces as 'processed' (applied to its windows)
 * from now on; `until(n)` resolves once n have been counted. A redelivered record counts once.
 * Follows aggregate across restarts.
 */
function countProcessed() {
  const seen = new Set();
  let count = 0;
  let waiter = null;
  const onProcessed = ({ id }) => {
    if (seen.has(id)) return;
    seen.add(id);
    count += 1;
    if (!waiter) return;
    waiter.watch.kick();
    if (count >= waiter.n) {
      waiter.watch.stop();
      waiter.resolve();
      waiter = null;
    }
  };
  let parts = null;
  const attach = () => {
    if (parts) parts.events.off('processed', onProcessed);
    parts = pipeline.services.aggregate.app.aggregateParts;
    parts.events.on('processed', onProcessed);
  };
  attach();
  return {
    attach,
    until(n) {
      if (count >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const watch = stallWatch(() => {
          waiter = null;
          reject(stalled(`aggregate processed ${count} of ${n} records`, STALL_MS));
        });
        waiter = { n, resolve, watch };
      });
    },
    stop: () => parts.events.off('processed', onProcessed),
  };
}

/** Resolves once the metrics database holds exactly `expected` for the rollup, re-read on each write. */
function untilStored(rollupId, expected) {
  const events = pipeline.services.store.app.storeParts.events;
  const want = JSON.stringify(expected);
  return new Promise((resolve, reject) => {
    let checking = Promise.resolve();
    const watch = stallWatch(() => {
      events.off('written', check);
      reject(stalled(`the store's rows of ${rollupId}`, STALL_MS));
    });
    function check() {
      watch.kick();
      checking = checking.then(async () => {
        if (JSON.stringify(await rowsOf(rollupId)) === want) {
          watch.stop();
          events.off('written', check);
          resolve();
        }
      }).catch((err) => {
        watch.stop();
        reject(err);
      });
    }
    events.on('written', check);
    check();
  });
}

describe('the golden path: gateway to per-minute rollups', () => {
  test('events sent through the gateway are per-minute rollups in the metrics database, each event counted once', async () => {
    const base = T0;
    await rollup('gp-happy', 'golden.happy');
    const events = generate('happy', 'golden.happy', base, 60);
    const processed = countProcessed();
    await send(events);
    // the barrier goes once every event is in its window: sent earlier, it could overtake some
    // in the pipeline and close their windows before they arrive
    await processed.until(60);
    processed.stop();
    await send(barrier('happy-barrier', base + 10 * MINUTE));
    await expectExactlyOnce('gp-happy', events, base, base + HOUR);
  }, 120_000);

  test('the same across a broker cut: events in flight when every service loses RabbitMQ are counted once', async () => {
    const base = T0 + HOUR;
    await rollup('gp-broker', 'golden.broker');
    const events = generate('broker', 'golden.broker', base, 60);
    const processed = countProcessed();
    await send(events.slice(0, 30));
    const disconnected = allEmit(pipeline.services, BROKER_USERS, 'disconnected');
    amqpProxy.refuse(true);
    amqpProxy.cut();
    await disconnected;
    // ingestion keeps accepting while the broker is away: the events wait in its outbox
    await send(events.slice(30));
    amqpProxy.refuse(false);
    const reconnected = allEmit(pipeline.services, BROKER_USERS, 'reconnected');
    await clock.advanceAsync(100);
    await reconnected;
    // the outbox relay's and aggregate's next periodic runs send what waited
    await clock.advanceAsync(1000);
    // and what that run could not send goes now: a failure here is an error, not a stall
    await pipeline.services.ingestion.app.ingestion.relay.flush();
    await processed.until(60);
    processed.stop();
    await send(barrier('broker-barrier', base + 10 * MINUTE));
    await clock.advanceAsync(1000);
    await expectExactlyOnce('gp-broker', events, base, base + HOUR);
  }, 120_000);

  test('the same across a cut of aggregate\'s Redis in the middle of a window', async () => {
    const base = T0 + 2 * HOUR;
    await rollup('gp-redis', 'golden.redis');
    const events = generate('redis', 'golden.redis', base, 60);
    const processed = countProcessed();
    await send(events.slice(0, 30));
    await processed.until(30);
    // aggregate loses Redis (stream partitions, window state, watermarks, outbox) and tries again
    const refused = waitForEvent(redisProxy, 'refused');
    redisProxy.refuse(true);
    redisProxy.cut();
    await send(events.slice(30));
    await refused;
    redisProxy.refuse(false);
    await processed.until(60);
    processed.stop();
    await send(barrier('redis-barrier', base + 10 * MINUTE));
    await clock.advanceAsync(1000);
    await expectExactlyOnce('gp-redis', events, base, base + HOUR);
  }, 120_000);

  test('the same across an aggregate restart in the middle of a window', async () => {
    const base = T0 + 3 * HOUR;
    await rollup('gp-restart', 'golden.restart');
    const events = generate('restart', 'golden.restart', base, 60);
    const processed = countProcessed();
    await send(events.slice(0, 30));
    await processed.until(30);
    // the windows of the first half are open (in Redis) when aggregate stops
    await pipeline.restartAggregate();
    processed.attach();
    await send(events.slice(30));
    await processed.until(60);
    processed.stop();
    await send(barrier('restart-barrier', base + 10 * MINUTE));
    await expectExactlyOnce('gp-restart', events, base, base + HOUR);
  }, 120_000);

  test('a replayed day (generated, some events late, some out of order) gives the day\'s known totals, hourly and daily', async () => {
    const day = Date.UTC(2024, 4, 2);
    await rollup('gp-day', 'golden.day', { kind: 'tumbling', sizeMs: HOUR, allowedLatenessMs: 6 * HOUR });
    const prng = createPrng('recorded-day');
    const recorded = generate('day', 'golden.day', day, 2000, { spanMs: 24 * HOUR, seed: 'recorded-day-events' })
      .sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    // the order they are sent in: neighbours swapped (out of order within aggregate's tolerance),
    // and one in thirty held back by 70 to 110 minutes of event time (late: its hour has closed)
    const order = [...recorded];
    for (let i = 1; i < order.length; i += 1) if (prng.bool(0.2)) [order[i - 1], order[i]] = [order[i], order[i - 1]];
    const late = order.filter(() => prng.bool(1 / 30));
    const onTime = order.filter((e) => !late.includes(e));
    const sendOrder = [...onTime];
    for (const e of late) {
      const due = Date.parse(e.ts) + prng.int(70, 110) * MINUTE;
      const at = sendOrder.findIndex((x) => Date.parse(x.ts) > due);
      sendOrder.splice(at === -1 ? sendOrder.length : at, 0, e);
    }
    expect(sendOrder).toHaveLength(2000);
    const processed = countProcessed();
    for (let i = 0; i < sendOrder.length; i += 100) await send(sendOrder.slice(i, i + 100));
    await processed.until(sendOrder.length);
    processed.stop();
    await send(barrier('day-barrier', day + 24 * HOUR + 10 * MINUTE));
    const hourly = expectedRollups(recorded, HOUR);
    await storeHas('gp-day', hourly);
    await untilStored('gp-day', hourly);
    expect(hourly.reduce((n, r) => n + r.count, 0)).toBe(2000);

    // the day's totals per country, computed here from the recorded events
    const { store } = pipeline.services;
    await store.app.storeParts.downsampler.run();
    const res = await viaGateway(pipeline.services, `/api/v1/store/rollups/gp-day/series?from=${new Date(day).toISOString()}&to=${new Date(day + 24 * HOUR).toISOString()}&resolution=1d`, { key });
    expect(res.status).toBe(200);
    for (const country of COUNTRIES) {
      const values = recorded.filter((e) => e.dimensions.country === country).map((e) => e.properties.amount);
      const sum = values.reduce((a, b) => a + b, 0);
      const series = res.body.series.find((s) => s.seriesKey === `country=${country}`);
      expect(series.points).toHaveLength(1);
      const [total] = series.points;
      expect(total).toMatchObject({ windowStart: '2024-05-02T00:00:00.000Z', count: values.length, sum, min: Math.min(...values), max: Math.max(...values) });
      expect(total.mean).toBeCloseTo(sum / values.length, 9);
    }
  }, 600_000);
});
