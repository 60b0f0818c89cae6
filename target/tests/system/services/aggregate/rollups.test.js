'use strict';

const { useNamespace } = require('../../../support/namespace');
const { tapEvents } = require('../../../support/event-tap');
const { waitForEvent } = require('../../../support/wait-for');
const { serviceEnv } = require('../../../support/boot-service');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { startSegment, apiKey, viaGateway } = require('../../pipeline/segment');

// The pipeline as it runs in production up to aggregate: events sent through the gateway are
// validated, mapped and routed, and come out of aggregate as closed windows whose counts and sums
// are what the tenant sent.

const ns = useNamespace({ databases: ['users', 'pipeline', 'metrics'] });
let segment;
let aggregate;
let tap;
let key;

beforeAll(async () => {
  const clock = createFakeClock(Date.UTC(2024, 4, 1, 12));
  segment = await startSegment(ns, { clock });
  // Transform may reorder one request's events: a minute of disorder is tolerated.
  const env = serviceEnv(ns, { AGGREGATE_PARTITIONS: '1', AGGREGATE_BLOCK_MS: '200', AGGREGATE_OUT_OF_ORDER_MS: '60000' });
  aggregate = await require('../../../../services/aggregate/src/index').start({ env, clock, logger: silentLogger });
  tap = await tapEvents(ns, 'aggregate.window.closed');
  key = await apiKey(segment.services, 'tenant-sys');
  const topic = await viaGateway(segment.services, '/api/v1/router/topics', { key, method: 'POST', body: { name: 'shop' } });
  expect(topic.status).toBe(201);
  expect((await viaGateway(segment.services, '/api/v1/router/topics/shop/subscriptions', { key, method: 'POST', body: { pattern: 'checkout.#' } })).status).toBe(201);
}, 60_000);

ns.cleanup(async () => {
  if (tap) await tap.close();
  if (aggregate) await aggregate.stop();
  if (segment) await segment.stop();
});

const send = (events) => viaGateway(segment.services, '/api/v1/ingestion/events', { key, method: 'POST', body: { events }, headers: { 'x-schema-version': '2' } });
const checkout = (id, ts, amount, country) => ({ eventId: id, source: 'web', name: 'checkout.completed', ts, properties: { amount, currency: 'EUR' }, dimensions: { country, plan: 'pro' } });
/** Resolves once aggregate has processed `n` more records (the pipeline may reorder requests). */
function processed(n) {
  let seen = 0;
  return waitForEvent(aggregate.app.aggregateParts.events, 'processed', { filter: () => (seen += 1) >= n });
}
const windowsOf = (rollupId) => tap.events.filter((e) => e.tenantId === 'tenant-sys' && e.data.rollupId === rollupId);

describe('gateway to aggregate', () => {
  test('per-minute checkout counts and sums per country, a boundary event in the minute it opens', async () => {
    const created = await viaGateway(segment.services, '/api/v1/aggregate/rollups', {
      key,
      method: 'POST',
      body: { rollupId: 'revenue', topic: 'shop', eventName: 'checkout.completed', field: 'properties.amount', groupBy: ['country'], functions: ['sum', 'mean'], window: { kind: 'tumbling', sizeMs: 60_000 } },
    });
    expect(created.status).toBe(201);
    const first = processed(4);
    const sent = await send([
      checkout('s-1', '2024-05-01T10:00:05.000Z', 0.1, 'DE'),
      checkout('s-2', '2024-05-01T10:00:20.000Z', 0.2, 'DE'),
      checkout('s-3', '2024-05-01T10:00:59.999Z', 10, 'FR'),
      checkout('s-4', '2024-05-01T10:01:00.000Z', 0.7, 'DE'),
    ]);
    expect(sent.status).toBe(202);
    await first;
    expect((await send([checkout('s-5', '2024-05-01T10:05:00.000Z', 1, 'DE')])).status).toBe(202);
    await tap.until(() => windowsOf('revenue').length >= 3);
    const got = windowsOf('revenue').map((e) => [e.data.seriesKey, e.data.windowStart, e.data.count, e.data.sum]).sort();
    expect(got).toEqual([
      ['country=DE', '2024-05-01T10:00:00.000Z', 2, 0.1 + 0.2],
      ['country=DE', '2024-05-01T10:01:00.000Z', 1, 0.7],
      ['country=FR', '2024-05-01T10:00:00.000Z', 1, 10],
    ]);
  }, 60_000);

  test('a late checkout within the allowed lateness re-emits its minute as revision 2', async () => {
    const created = await viaGateway(segment.services, '/api/v1/aggregate/rollups', {
      key,
      method: 'POST',
      body: { rollupId: 'orders', topic: 'shop', field: 'count', window: { kind: 'tumbling', sizeMs: 60_000, allowedLatenessMs: 300_000 } },
    });
    expect(created.status).toBe(201);
    const both = processed(2);
    expect((await send([checkout('l-1', '2024-05-01T11:00:10.000Z', 1, 'DE'), checkout('l-2', '2024-05-01T11:02:10.000Z', 1, 'DE')])).status).toBe(202);
    await both;
    await tap.until(() => windowsOf('orders').some((e) => e.data.windowStart === '2024-05-01T11:00:00.000Z'));
    expect((await send([checkout('l-3', '2024-05-01T11:00:40.000Z', 1, 'FR')])).status).toBe(202);
    await tap.until(() => windowsOf('orders').some((e) => e.data.windowStart === '2024-05-01T11:00:00.000Z' && e.data.revision === 2));
    const minute = windowsOf('orders').filter((e) => e.data.windowStart === '2024-05-01T11:00:00.000Z').map((e) => [e.data.revision, e.data.count]);
    expect(minute).toEqual([[1, 1], [2, 2]]);
  }, 60_000);
});
