'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { call, internalHeaders } = require('../../../support/http');

const ns = useNamespace({ databases: ['pipeline'] });
let clock;
let svc;
let tap;
let nextBatch = 0;

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1, 12));
  tap = await tapEvents(ns, 'ingestion.#');
  svc = await bootService('ingestion', { ns, clock, env: { INGEST_BATCH_SIZE: '1000', INGEST_BUFFER_MAX: '50' }, options: { idFactory: () => `batch-${++nextBatch}` } });
});
ns.cleanup(async () => {
  await svc.close();
  await tap.close();
});

const as = (tenantId) => internalHeaders({ tenantId, role: 'admin' });
const send = (tenantId, payload, headers = {}) => call(svc.app, { method: 'POST', url: '/v1/events', headers: { ...as(tenantId), ...headers }, payload });
const ev = (eventId, over = {}) => ({ eventId, name: 'page.view', ts: '2024-05-01T10:00:00Z', properties: { path: '/x' }, ...over });

/** Writes what is buffered and publishes what is stored; resolves once the tap has every published record. */
async function settle() {
  await svc.app.ingestion.buffer.flush();
  await svc.app.ingestion.relay.idle();
  await svc.app.ingestion.relay.flush();
  const { rows } = await svc.postgres.query('pipeline', 'SELECT count(*)::int AS n FROM ingestion_outbox WHERE published_at IS NOT NULL');
  await tap.until(() => tap.events.length >= rows[0].n);
}

const outbox = async (tenantId) => (await svc.postgres.query('pipeline', 'SELECT event_id, batch_id, envelope, published_at FROM ingestion_outbox WHERE tenant_id = $1 ORDER BY seq', [tenantId])).rows;
const recordsOf = (tenantId) => tap.events.filter((e) => e.tenantId === tenantId);

describe('accepting events', () => {
  test('one event is buffered, stored, appended to the tenant stream and published as ingestion.record', async () => {
    const res = await send('t-one', ev('e-1'));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ batchId: expect.any(String), accepted: 1, eventIds: ['e-1'] });
    await settle();
    const rows = await outbox('t-one');
    expect(rows.map((r) => r.event_id)).toEqual(['e-1']);
    expect(rows[0].published_at).not.toBeNull();
    const entries = await svc.redis.xrange('events:t-one', '-', '+');
    expect(entries).toHaveLength(1);
    expect(entries[0][1].slice(0, 2)).toEqual(['eventId', 'e-1']);
    const [record] = recordsOf('t-one');
    expect(record).toMatchObject({ id: 'e-1', type: 'ingestion.record', tenantId: 't-one', occurredAt: '2024-05-01T10:00:00.000Z' });
    expect(record.data).toEqual({
      eventId: 'e-1', batchId: res.json().batchId, source: 'http', name: 'page.view', ts: '2024-05-01T10:00:00.000Z', schemaVersion: 1, properties: { path: '/x' }, dimensions: {},
    });
  });

  test('a batch keeps its order in the outbox, the stream and the published records', async () => {
    const ids = ['b-3', 'b-1', 'b-2', 'b-0'];
    expect((await send('t-batch', { events: ids.map((id) => ev(id)) })).statusCode).toBe(202);
    await settle();
    expect((await outbox('t-batch')).map((r) => r.event_id)).toEqual(ids);
    expect((await svc.redis.xrange('events:t-batch', '-', '+')).map((e) => e[1][1])).toEqual(ids);
    expect(recordsOf('t-batch').map((e) => e.id)).toEqual(ids);
  });

  test('a client retry with the same event ids is stored and published once; another tenant may use the same ids', async () => {
    const body = { events: [ev('r-1'), ev('r-2')] };
    await send('t-retry', body);
    await settle();
    await send('t-retry', body);
    await send('t-retry', { events: [ev('r-2'), ev('r-3')] });
    await send('t-other', body);
    await settle();
    expect((await outbox('t-retry')).map((r) => r.event_id)).toEqual(['r-1', 'r-2', 'r-3']);
    expect((await outbox('t-other')).map((r) => r.event_id)).toEqual(['r-1', 'r-2']);
    expect(recordsOf('t-retry').map((e) => e.id)).toEqual(['r-1', 'r-2', 'r-3']);
    expect(await svc.redis.xlen('events:t-retry')).toBe(3);
  });

  test('events are written by the timer when the batch size is not reached', async () => {
    await send('t-timer', ev('tm-1'));
    expect(await outbox('t-timer')).toEqual([]);
    await clock.advanceAsync(svc.config.INGEST_FLUSH_MS);
    await svc.app.ingestion.buffer.flush();
    expect((await outbox('t-timer')).map((r) => r.event_id)).toEqual(['tm-1']);
  });
});

describe('refusals', () => {
  test('without the gateway token the request is 401 and nothing is buffered', async () => {
    const res = await call(svc.app, { method: 'POST', url: '/v1/events', headers: { 'x-tenant-id': 't-x', 'x-user-role': 'admin' }, payload: ev('u-1') });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'INGEST_UNAUTHENTICATED' });
    expect(svc.app.ingestion.buffer.stats().held).toBe(0);
  });

  test('invalid JSON, a wrong content type and an unknown version get their codes', async () => {
    const bad = await call(svc.app, { method: 'POST', url: '/v1/events', headers: { ...as('t-r'), 'content-type': 'application/json' }, payload: '{"eventId":' });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'INGEST_INVALID_JSON']);
    const text = await call(svc.app, { method: 'POST', url: '/v1/events', headers: { ...as('t-r'), 'content-type': 'text/plain' }, payload: 'hello' });
    expect([text.statusCode, text.json().code]).toEqual([415, 'INGEST_UNSUPPORTED_MEDIA_TYPE']);
    const v9 = await send('t-r', ev('v-9'), { 'x-schema-version': '9' });
    expect([v9.statusCode, v9.json().code]).toEqual([400, 'INGEST_UNSUPPORTED_VERSION']);
    const invalid = await send('t-r', { events: [ev('ok-1'), ev('bad', { ts: 'soon' })] });
    expect([invalid.statusCode, invalid.json().code]).toEqual([422, 'INGEST_INVALID_EVENT']);
    expect(invalid.json().message).toContain('events[1]');
    await settle();
    expect(await outbox('t-r')).toEqual([]);
  });

  test('a full buffer answers 503 with Retry-After; what was accepted is written', async () => {
    const first = await send('t-full', { events: Array.from({ length: 50 }, (_, i) => ev(`f-${i}`)) });
    expect(first.statusCode).toBe(202);
    const refused = await send('t-full', ev('f-50'));
    expect(refused.statusCode).toBe(503);
    expect(refused.json().code).toBe('INGEST_BUFFER_FULL');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await settle();
    expect(await outbox('t-full')).toHaveLength(50);
    expect((await send('t-full', ev('f-50'))).statusCode).toBe(202);
    await settle();
    expect(await outbox('t-full')).toHaveLength(51);
  });
});

describe('operations', () => {
  test('stats report buffered and unpublished events; /ready checks the database', async () => {
    await send('t-stats', { events: [ev('s-1'), ev('s-2')] });
    const stats = await call(svc.app, { url: '/v1/events/stats', headers: as('t-stats') });
    expect(stats.json()).toMatchObject({ held: 2, waiting: 2, writing: 0 });
    await settle();
    expect((await call(svc.app, { url: '/v1/events/stats', headers: as('t-stats') })).json()).toEqual({ held: 0, waiting: 0, writing: 0, outboxPending: 0 });
    const ready = await call(svc.app, '/ready');
    expect(ready.statusCode).toBe(200);
  });
});
