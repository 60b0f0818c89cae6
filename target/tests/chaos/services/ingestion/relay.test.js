'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { createPublisher } = require('../../../../shared/events/publisher');
const { setupTopology } = require('../../../../shared/events/topology');
const { ERRORS, createError } = require('../../../../shared/utils/errors');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { call, internalHeaders } = require('../../../support/http');

// The broker refuses some publishes: a nack, or a channel that closes before the confirm. The
// relay must leave those rows pending and send them on a later run; a row is sent only once the
// broker confirmed it.

const ns = useNamespace({ databases: ['pipeline'] });
let svc;
let tap;
let rabbit;
const failures = new Map(); // event id -> { err, times }: its next `times` publishes throw err

beforeAll(async () => {
  const clock = createFakeClock(Date.UTC(2024, 4, 1));
  rabbit = createRabbit({ ...ns.env, RECONNECT_BASE_MS: 50, RECONNECT_MAX_MS: 200 }, { logger: silentLogger, clock });
  rabbit.addSetup((channel) => setupTopology(channel, { queues: [] }));
  await rabbit.connect();
  const real = createPublisher({ rabbit, clock, appId: 'ingestion' });
  const publisher = {
    async publish(routingKey, payload, options) {
      const failure = failures.get(payload.id);
      if (failure && failure.times > 0) {
        failure.times--;
        throw failure.err;
      }
      return real.publish(routingKey, payload, options);
    },
  };
  tap = await tapEvents(ns, 'ingestion.record');
  svc = await bootService('ingestion', { ns, clock, env: { INGEST_BATCH_SIZE: '1000' }, clients: { publisher } });
});
ns.cleanup(async () => {
  await svc.close();
  await tap.close();
  await rabbit.close();
});

const nack = (id) => createError(ERRORS.DN_AMQP_NACK, `broker nacked message ${id}`);
const closed = (id) => Object.assign(new Error(`channel closed before message ${id} was confirmed`), { code: 'DN_EVENTS_PUBLISH_CLOSED' });

async function sendAndStore(tenantId, ids) {
  const res = await call(svc.app, { method: 'POST', url: '/v1/events', headers: internalHeaders({ tenantId }), payload: { events: ids.map((eventId) => ({ eventId, name: 'n', ts: '2024-05-01T10:00:00Z' })) } });
  expect(res.statusCode).toBe(202);
  await svc.app.ingestion.buffer.flush();
  await svc.app.ingestion.relay.idle();
}

const pendingOf = async (tenantId) => (await svc.postgres.query('pipeline', 'SELECT event_id FROM ingestion_outbox WHERE tenant_id = $1 AND published_at IS NULL ORDER BY seq', [tenantId])).rows.map((r) => r.event_id);
const deliveredTo = (tenantId) => tap.events.filter((e) => e.tenantId === tenantId).map((e) => e.id);

describe('publishes the broker refused', () => {
  test.each([
    ['a nack of the third record', 't-nack3', 2, nack],
    ['a nack of the first record', 't-nack0', 0, nack],
    ['a channel closed before the last confirm', 't-close4', 4, closed],
  ])('%s leaves it and the records after it pending, and the next run sends them', async (label, tenantId, position, failure) => {
    const ids = [0, 1, 2, 3, 4].map((i) => `${tenantId}-${i}`);
    failures.set(ids[position], { err: failure(ids[position]), times: 1 });
    // The write kicks the relay, whose run meets the refusal.
    await sendAndStore(tenantId, ids);
    await tap.until(() => deliveredTo(tenantId).length >= position);
    expect(await pendingOf(tenantId)).toEqual(ids.slice(position));
    await expect(svc.app.ingestion.relay.flush()).resolves.toBe(5 - position);
    await tap.until(() => deliveredTo(tenantId).length >= 5);
    expect(deliveredTo(tenantId)).toEqual(ids);
    expect(await pendingOf(tenantId)).toEqual([]);
  });

  test('the failure reaches the caller of flush and the refused records stay pending', async () => {
    const ids = ['t-err-0', 't-err-1', 't-err-2'];
    failures.set('t-err-1', { err: nack('t-err-1'), times: 2 });
    await sendAndStore('t-err', ids);
    await expect(svc.app.ingestion.relay.flush()).rejects.toMatchObject({ code: 'DN_AMQP_NACK' });
    expect(await pendingOf('t-err')).toEqual(['t-err-1', 't-err-2']);
    await tap.until(() => deliveredTo('t-err').length >= 1);
    expect(deliveredTo('t-err')).toEqual(['t-err-0']);
    await svc.app.ingestion.relay.flush();
    await tap.until(() => deliveredTo('t-err').length >= 3);
    expect(deliveredTo('t-err')).toEqual(ids);
  });
});
