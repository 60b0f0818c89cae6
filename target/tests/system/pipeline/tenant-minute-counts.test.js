'use strict';

const { useNamespace } = require('../../support/namespace');
const { createFaultProxy } = require('../../support/fault-proxy');
const { internalHeaders } = require('../../support/http');
const { createFakeClock } = require('../../../shared/utils/clock');
const { apiKey, viaGateway, allEmit } = require('./segment');
const { startPipeline } = require('./pipeline');
const { countFirstReads, watermarkReached, followWindows } = require('./pipeline-progress');
const { MINUTE, HOSTS, recordedTraffic, receivedOrder, expectedMinutes, hostTicks } = require('./tenant-traffic');

// What the tenants of a shared pipeline read as per-minute counts, replayed from recorded traffic
// (tenant-traffic.js, generated from a fixed seed): several tenants send metric events at once, each subscribed to its
// own topic and rolling its events up per host and minute. Every tenant must read exactly what it
// sent, minute by minute, also for events on a minute boundary, events held back by minutes (inside
// the allowed lateness), and events sent while the broker restarts; and once the windows are over,
// aggregate must keep no state for them, however long it runs.
//
// The tests share one pipeline and run in order on later and later event times (the watermark is
// aggregate's, one for all tenants). Each closes its windows with a barrier: one event per host and
// tenant well past the allowed lateness, sent once aggregate has read every event of the traffic
// (the services work concurrently: a barrier sent earlier could overtake events still on their way
// and make them too late to count). The metrics database is read once the store has written every
// window aggregate closed (pipeline-progress.js), so a wrong count fails with the tenant's minutes.

const ns = useNamespace({ databases: ['users', 'pipeline', 'metrics'] });
const TENANTS = ['tenant-north', 'tenant-south', 'tenant-east'];
const ROLLUP = 'per-minute';
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 4, 1, 9);
const LATENESS_MS = 5 * MINUTE;
const OUT_OF_ORDER_MS = MINUTE;
const BROKER_USERS = ['ingestion', 'transform', 'router', 'aggregate', 'store'];
// Each test takes about 2 s on an idle machine and under 30 s while the whole suite runs beside it
// on two cores (seven services, three servers). A minute keeps that margin without making a broken
// pipeline, where the awaited events never come, cost more than three minutes of a grade.
const TEST_TIMEOUT_MS = 60_000;

let clock;
let amqpProxy;
let pipeline;
const keys = {};

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1, 12));
  const broker = new URL(ns.env.AMQP_URL);
  amqpProxy = await createFaultProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
  pipeline = await startPipeline(ns, {
    clock,
    env: { AMQP_URL: amqpProxy.url(ns.env.AMQP_URL), OUTBOX_INTERVAL_MS: '1000' },
    aggregateEnv: { AGGREGATE_PARTITIONS: '2', AGGREGATE_CONSUMER: 'minutes', AGGREGATE_OUT_OF_ORDER_MS: String(OUT_OF_ORDER_MS) },
  });
  for (const tenant of TENANTS) {
    keys[tenant] = await apiKey(pipeline.services, tenant);
    const topic = await viaGateway(pipeline.services, '/api/v1/router/topics', { key: keys[tenant], method: 'POST', body: { name: 'host-metrics' } });
    expect(topic.status).toBe(201);
    const sub = await viaGateway(pipeline.services, '/api/v1/router/topics/host-metrics/subscriptions', { key: keys[tenant], method: 'POST', body: { pattern: 'metrics.#' } });
    expect(sub.status).toBe(201);
    const rollup = await viaGateway(pipeline.services, '/api/v1/aggregate/rollups', {
      key: keys[tenant],
      method: 'POST',
      body: { rollupId: ROLLUP, topic: 'host-metrics', field: 'properties.value', groupBy: ['host'], functions: ['count', 'sum'], window: { kind: 'tumbling', sizeMs: MINUTE, allowedLatenessMs: LATENESS_MS } },
    });
    expect(rollup.status).toBe(201);
  }
}, TEST_TIMEOUT_MS);

ns.cleanup(async () => {
  if (pipeline) await pipeline.stop();
  if (amqpProxy) await amqpProxy.close();
});

/** Sends `{ tenant, event }` traffic in the given order, each tenant's share of a chunk with its own key. */
async function send(traffic, chunk = 24) {
  for (let i = 0; i < traffic.length; i += chunk) {
    const part = traffic.slice(i, i + chunk);
    for (const tenant of TENANTS) {
      const events = part.filter((x) => x.tenant === tenant).map((x) => x.event);
      if (events.length === 0) continue;
      const res = await viaGateway(pipeline.services, '/api/v1/ingestion/events', { key: keys[tenant], method: 'POST', body: { events }, headers: { 'x-schema-version': '2' } });
      expect(res.status).toBe(202);
    }
  }
}

/** One event per tenant and host at `ts`, as `{ tenant, event }` traffic. */
function ticks(prefix, ts) {
  return TENANTS.flatMap((tenant) => hostTicks(tenant, prefix, ts).map((event) => ({ tenant, event })));
}

/** What `tenant` has in the metrics database for the rollup's minutes in [from, to). */
async function minutesOf(tenant, from, to) {
  const { rows } = await pipeline.services.store.clients.postgres.query('metrics',
    `SELECT series_key, window_start, count, sum FROM store_rollups
      WHERE tenant_id = $1 AND rollup_id = $2 AND resolution = '1m' AND window_start >= $3 AND window_start < $4
      ORDER BY series_key, window_start`, [tenant, ROLLUP, new Date(from), new Date(to)]);
  return rows.map((r) => ({ seriesKey: r.series_key, windowStart: r.window_start.toISOString(), count: Number(r.count), sum: Number(r.sum) }));
}

/** Every tenant's expected minutes in [from, to), from the traffic sent. */
function expectedByTenant(traffic) {
  return Object.fromEntries(TENANTS.map((t) => [t, expectedMinutes(traffic.filter((x) => x.tenant === t).map((x) => x.event))]));
}

/** Replays `minutes` minutes of recorded traffic from `base`; resolves with what each tenant should read. */
function replay(seed, base, minutes) {
  const traffic = recordedTraffic(TENANTS, base, { minutes, seed });
  const { sendOrder, late } = receivedOrder(traffic, { seed });
  expect(sendOrder).toHaveLength(traffic.length);
  return { traffic, sendOrder, late, expected: expectedByTenant(traffic), from: base, to: base + minutes * MINUTE };
}

/** Every tenant reads exactly what it sent, per host and minute of [from, to). */
async function expectEveryMinute({ expected, from, to, traffic }) {
  for (const tenant of TENANTS) expect({ tenant, minutes: await minutesOf(tenant, from, to) }).toEqual({ tenant, minutes: expected[tenant] });
  const counted = TENANTS.reduce((n, t) => n + expected[t].reduce((m, r) => m + r.count, 0), 0);
  expect(counted).toBe(traffic.length);
}

/**
 * Closes the run's windows: once aggregate has read all `count` records sent since `reads` began,
 * a barrier well past them; resolves once the store has written every window that closed.
 */
async function closeWindows(run, { reads, follow }, prefix, count = run.traffic.length) {
  await reads.until(count);
  reads.stop();
  const barrierTs = run.to + LATENESS_MS + 5 * MINUTE;
  const passed = watermarkReached(pipeline, barrierTs - OUT_OF_ORDER_MS);
  await send(ticks(prefix, barrierTs));
  await passed;
  await follow.written();
}

/** Starts following what the pipeline does with the traffic about to be sent. */
function track() {
  return { reads: countFirstReads(pipeline), follow: followWindows(pipeline) };
}

/** Aggregate's per-window keys in Redis (accumulator hashes and event-id sets): the memory that grew. */
async function windowKeys() {
  const redis = pipeline.services.aggregate.clients.redis;
  let count = 0;
  for (const pattern of ['agg:w:*', 'agg:seen:*']) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', redis.prefixKey(pattern), 'COUNT', 1000);
      cursor = next;
      count += found.length;
    } while (cursor !== '0');
  }
  return count;
}

async function aggregateStatus() {
  const res = await fetch(`${pipeline.services.aggregate.url}/v1/status`, { headers: internalHeaders({ tenantId: 'platform', role: 'admin' }) });
  expect(res.status).toBe(200);
  return res.json();
}

describe('per-minute counts of every tenant through the whole pipeline', () => {
  test('each tenant reads per host and minute exactly what it sent: boundary events, bare-prefix names and late events included', async () => {
    const run = replay('steady', T0, 8);
    // the recording holds what the counts depend on: boundary stamps, bare names, held-back events
    expect(run.traffic.some((x) => Date.parse(x.event.ts) % MINUTE === 0)).toBe(true);
    expect(run.traffic.some((x) => x.event.name === 'metrics')).toBe(true);
    expect(run.late.length).toBeGreaterThan(0);
    // every host's last event half a minute after the traffic: once aggregate has read everything,
    // the watermark stands exactly 30 s before the run's end (the disorder it waits for is a minute)
    const tails = ticks('steady-tail', run.to + 30_000);
    const settled = watermarkReached(pipeline, run.to + 30_000 - OUT_OF_ORDER_MS);
    const progress = track();
    await send([...run.sendOrder, ...tails]);
    await settled;
    // stragglers for the minute that ended four and a half minutes before that watermark: far
    // later than the disorder aggregate waits for, still inside the five minutes of allowed lateness
    const stragglers = ticks('steady-straggler', run.to - 6 * MINUTE + 20_000);
    await send(stragglers);
    const sent = [...run.traffic, ...stragglers];
    await closeWindows(run, progress, 'steady-barrier', sent.length + tails.length);
    await expectEveryMinute({ ...run, traffic: sent, expected: expectedByTenant(sent) });
  }, TEST_TIMEOUT_MS);

  test('no event is lost when the broker restarts in the middle of the traffic', async () => {
    const run = replay('restart', T0 + HOUR, 6);
    const half = Math.floor(run.sendOrder.length / 2);
    const progress = track();
    await send(run.sendOrder.slice(0, half));
    const disconnected = allEmit(pipeline.services, BROKER_USERS, 'disconnected');
    amqpProxy.refuse(true);
    amqpProxy.cut();
    await disconnected;
    // ingestion keeps accepting while the broker is away: the events wait in its outbox
    await send(run.sendOrder.slice(half));
    amqpProxy.refuse(false);
    const reconnected = allEmit(pipeline.services, BROKER_USERS, 'reconnected');
    await clock.advanceAsync(100);
    await reconnected;
    // the outbox relays' next periodic runs send what waited
    await clock.advanceAsync(1000);
    await closeWindows(run, progress, 'restart-barrier');
    await expectEveryMinute(run);
  }, TEST_TIMEOUT_MS);

  test('window state stays bounded: once their lateness has passed, aggregate keeps nothing of old minutes', async () => {
    const run = replay('bounded', T0 + 2 * HOUR, 4);
    const before = await aggregateStatus();
    const progress = track();
    await send(run.sendOrder);
    await closeWindows(run, progress, 'bounded-barrier');
    await expectEveryMinute(run);
    // a last barrier far past every window so far: everything before it may be forgotten
    const last = run.to + 45 * MINUTE;
    const reached = watermarkReached(pipeline, last - OUT_OF_ORDER_MS);
    await send(ticks('last-barrier', last));
    await reached;
    const after = await aggregateStatus();
    const windowsOfRun = TENANTS.reduce((n, t) => n + run.expected[t].length, 0);
    expect(after.stats.dropped - before.stats.dropped).toBeGreaterThanOrEqual(windowsOfRun);
    // what is left: the last barrier's minute of each tenant and host, nothing older; in Redis, its
    // accumulator and its event-id set
    expect(after.liveWindows).toBeLessThanOrEqual(TENANTS.length * HOSTS.length);
    expect(await windowKeys()).toBeLessThanOrEqual(2 * TENANTS.length * HOSTS.length);
  }, TEST_TIMEOUT_MS);
});
