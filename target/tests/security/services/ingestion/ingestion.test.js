'use strict';

const zlib = require('node:zlib');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

const MAX_INFLATED = 1024 * 1024;
const ns = useNamespace({ databases: ['pipeline'] });
let svc;

beforeAll(async () => {
  svc = await bootService('ingestion', {
    ns,
    clock: createFakeClock(Date.UTC(2024, 4, 1)),
    env: { INGEST_MAX_BODY_BYTES: String(256 * 1024), INGEST_MAX_INFLATED_BYTES: String(MAX_INFLATED), INGEST_BATCH_SIZE: '10000' },
  });
});
ns.cleanup(() => svc.close());

const ev = (eventId, over = {}) => ({ eventId, name: 'n', ts: '2024-05-01T10:00:00Z', ...over });
const post = (tenantId, payload, headers = {}) => call(svc.app, { method: 'POST', url: '/v1/events', headers: { ...internalHeaders({ tenantId }), 'content-type': 'application/json', ...headers }, payload });
const gzipPost = (tenantId, text) => post(tenantId, zlib.gzipSync(Buffer.from(text)), { 'content-encoding': 'gzip' });
const outbox = async (tenantId) => {
  await svc.app.ingestion.buffer.flush();
  return (await svc.postgres.query('pipeline', 'SELECT event_id, envelope FROM ingestion_outbox WHERE tenant_id = $1 ORDER BY seq', [tenantId])).rows;
};

/** A valid JSON batch of `bytes` bytes or more: padded with spaces, which inflate from almost nothing. */
function paddedBatch(bytes, eventId) {
  const json = JSON.stringify({ events: [ev(eventId)] });
  return `${json.slice(0, -1)}${' '.repeat(bytes)}}`;
}

describe('compressed bodies', () => {
  test('a gzip body under the inflated cap is accepted', async () => {
    const res = await gzipPost('t-gz', paddedBatch(MAX_INFLATED / 2, 'gz-1'));
    expect(res.statusCode).toBe(202);
    expect((await outbox('t-gz')).map((r) => r.event_id)).toEqual(['gz-1']);
  });

  test.each([
    ['just over the cap', MAX_INFLATED + 1024],
    ['three times the cap', 3 * MAX_INFLATED],
    ['twenty times the cap', 20 * MAX_INFLATED],
  ])('valid JSON that inflates to %s is 413 and stores nothing', async (label, bytes) => {
    const body = zlib.gzipSync(Buffer.from(paddedBatch(bytes, `big-${bytes}`)));
    expect(body.length).toBeLessThan(256 * 1024);
    const res = await post('t-bomb', body, { 'content-encoding': 'gzip' });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('INGEST_PAYLOAD_TOO_LARGE');
    expect(await outbox('t-bomb')).toEqual([]);
  });

  test('a zip bomb of zeros is 413, not a server error', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 });
    const res = await post('t-bomb', bomb, { 'content-encoding': 'gzip' });
    expect([res.statusCode, res.json().code]).toEqual([413, 'INGEST_PAYLOAD_TOO_LARGE']);
  });

  test('bytes that are not gzip are 400 and an unknown coding is 415', async () => {
    const notGzip = await post('t-gz', Buffer.from(JSON.stringify(ev('x'))), { 'content-encoding': 'gzip' });
    expect([notGzip.statusCode, notGzip.json().code]).toEqual([400, 'INGEST_INVALID_REQUEST']);
    const br = await post('t-gz', Buffer.from(JSON.stringify(ev('x'))), { 'content-encoding': 'br' });
    expect([br.statusCode, br.json().code]).toEqual([415, 'INGEST_UNSUPPORTED_MEDIA_TYPE']);
  });

  test('a body over the wire limit is 413 before it is read whole', async () => {
    const res = await post('t-big', paddedBatch(300 * 1024, 'wire-1'));
    expect([res.statusCode, res.json().code]).toEqual([413, 'INGEST_PAYLOAD_TOO_LARGE']);
  });
});

describe('hostile events', () => {
  test.each(['__proto__', 'constructor', 'prototype'])('a property named %s is refused and pollutes nothing', async (key) => {
    const text = `{"eventId":"p-${key}","name":"n","ts":"2024-05-01T10:00:00Z","properties":{"${key}":{"polluted":true}}}`;
    const res = await post('t-proto', text);
    expect([res.statusCode, res.json().code]).toEqual([422, 'INGEST_INVALID_EVENT']);
    expect({}.polluted).toBeUndefined();
    expect(Object.prototype.polluted).toBeUndefined();
  });

  test('a dimension named __proto__ is refused in version 2', async () => {
    const text = '{"eventId":"d-1","name":"n","ts":"2024-05-01T10:00:00Z","dimensions":{"__proto__":"x"}}';
    const res = await post('t-proto', text, { 'x-schema-version': '2' });
    expect(res.statusCode).toBe(422);
  });

  test('a tenant cannot write as another tenant through the body', async () => {
    const res = await post('t-me', ev('imp-1', { tenantId: 't-victim', tenant: 't-victim' }));
    expect(res.statusCode).toBe(202);
    const mine = await outbox('t-me');
    expect(mine.map((r) => r.envelope.tenantId)).toEqual(['t-me']);
    expect(await outbox('t-victim')).toEqual([]);
  });

  test('identity headers without the internal token, or with a forged one, are refused', async () => {
    const noToken = await call(svc.app, { method: 'POST', url: '/v1/events', headers: { 'x-tenant-id': 't-victim', 'x-user-role': 'admin', 'content-type': 'application/json' }, payload: JSON.stringify(ev('f-1')) });
    const forged = await post('t-victim', ev('f-2'), { 'x-internal-token': 'guess' });
    expect([noToken.statusCode, forged.statusCode]).toEqual([401, 401]);
    expect(await outbox('t-victim')).toEqual([]);
  });

  test('a tenant id that cannot name a stream key is refused', async () => {
    const res = await post('t-x:*', ev('k-1'));
    expect(res.statusCode).toBe(401);
  });
});
