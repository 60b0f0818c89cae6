'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv');
const { validate, validateEnvelope, shapeDifferences } = require('../../../../shared/contracts');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { call, internalHeaders } = require('../../../support/http');

const CONTRACTS = path.join(__dirname, '..', '..', '..', '..', 'shared', 'contracts', 'ingestion');
const readJson = (...parts) => JSON.parse(fs.readFileSync(path.join(CONTRACTS, ...parts), 'utf8'));
const FIXTURE = readJson('events', 'ingestion.record.v1.json');
const RECORD_SCHEMA = readJson('schemas', 'ingestion.record.v1.json');

const ns = useNamespace({ databases: ['pipeline'] });
let svc;
let tap;

beforeAll(async () => {
  tap = await tapEvents(ns, 'ingestion.record');
  svc = await bootService('ingestion', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1, 12)), options: { idFactory: () => FIXTURE.data.batchId } });
});
ns.cleanup(async () => {
  await svc.close();
  await tap.close();
});

/** Sends `event` as `tenantId` with the given headers and resolves with the record published for it. */
async function roundTrip(tenantId, event, headers) {
  const res = await call(svc.app, { method: 'POST', url: '/v1/events', headers: { ...internalHeaders({ tenantId }), ...headers }, payload: event });
  expect(res.statusCode).toBe(202);
  await svc.app.ingestion.buffer.flush();
  await svc.app.ingestion.relay.idle();
  await svc.app.ingestion.relay.flush();
  await tap.until(() => tap.events.some((e) => e.tenantId === tenantId && e.id === event.eventId));
  return { res, record: tap.events.find((e) => e.tenantId === tenantId && e.id === event.eventId) };
}

/** The request a producer sends for the fixture's record. */
const requestFor = ({ eventId, source, name, ts, properties, dimensions }, over = {}) => ({ eventId, source, name, ts, properties, dimensions, ...over });

describe('ingestion.record contract', () => {
  test('the fixture is a valid envelope whose data matches the schema', () => {
    expect(validateEnvelope(FIXTURE)).toEqual({ valid: true, errors: [] });
    expect(validate(RECORD_SCHEMA, FIXTURE.data, '/data')).toEqual([]);
  });

  test('a version 2 event is published with every field of the fixture, dimensions included', async () => {
    const { record } = await roundTrip(FIXTURE.tenantId, requestFor(FIXTURE.data), { 'x-schema-version': '2' });
    expect(shapeDifferences(FIXTURE, record)).toEqual([]);
    expect(record).toEqual(FIXTURE);
    expect(validate(RECORD_SCHEMA, record.data, '/data')).toEqual([]);
  });

  test('version 2 dimensions of another producer are kept in the outbox and the tenant stream', async () => {
    const event = requestFor(FIXTURE.data, { eventId: 'evt-dims-2', dimensions: { region: 'eu-west', device: 'ios', tier: 'gold' } });
    const { record } = await roundTrip('tenant-dims', event, { 'x-schema-version': '2' });
    expect(record.data).toMatchObject({ schemaVersion: 2, dimensions: { region: 'eu-west', device: 'ios', tier: 'gold' } });
    const { rows } = await svc.postgres.query('pipeline', "SELECT envelope FROM ingestion_outbox WHERE tenant_id = 'tenant-dims'");
    expect(rows[0].envelope.data.dimensions).toEqual({ region: 'eu-west', device: 'ios', tier: 'gold' });
    const [[, fields]] = await svc.redis.xrange('events:tenant-dims', '-', '+');
    expect(JSON.parse(fields[3]).data.dimensions).toEqual({ region: 'eu-west', device: 'ios', tier: 'gold' });
  });

  test('a version 1 event is published as schema version 1 with empty dimensions', async () => {
    const event = requestFor(FIXTURE.data, { eventId: 'evt-v1-1' });
    const { record } = await roundTrip('tenant-v1', event, { 'x-schema-version': '1' });
    expect(record.data).toMatchObject({ schemaVersion: 1, dimensions: {}, properties: FIXTURE.data.properties });
    expect(validate(RECORD_SCHEMA, record.data, '/data')).toEqual([]);
  });

  test('the 202 answer matches its HTTP contract', async () => {
    const { res } = await roundTrip('tenant-http', requestFor(FIXTURE.data, { eventId: 'evt-http-1' }), {});
    const ajv = new Ajv({ strict: false });
    const check = ajv.compile(readJson('http', 'events.response.202.json'));
    expect(check(res.json())).toBe(true);
    expect(res.json().eventIds).toEqual(['evt-http-1']);
  });
});
