'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { tapEvents } = require('../../../support/event-tap');
const { waitForEvent } = require('../../../support/wait-for');
const { call, internalHeaders } = require('../../../support/http');

// The broker connection is cut while the relay is publishing: nothing is marked sent that the
// broker did not confirm, and once the client has reconnected the next run delivers everything.

const ns = useNamespace({ databases: ['pipeline'] });
let svc;
let proxy;
let tap;
let clock;

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  const port = Number(new URL(ns.env.AMQP_URL).port || 5672);
  proxy = await createFaultProxy({ host: '127.0.0.1', port });
  tap = await tapEvents(ns, 'ingestion.record');
  svc = await bootService('ingestion', {
    ns,
    clock,
    env: { AMQP_URL: proxy.url(ns.env.AMQP_URL), INGEST_BATCH_SIZE: '1000', RECONNECT_BASE_MS: '100', RECONNECT_MAX_MS: '100' },
  });
});
ns.cleanup(async () => {
  await svc.close();
  await tap.close();
  await proxy.close();
});

const pending = async () => (await svc.postgres.query('pipeline', 'SELECT event_id FROM ingestion_outbox WHERE published_at IS NULL ORDER BY seq')).rows.map((r) => r.event_id);
const delivered = (tenantId) => tap.events.filter((e) => e.tenantId === tenantId).map((e) => e.id);

describe('broker cut during the relay', () => {
  test('records being published when the connection is cut stay pending and are delivered after the reconnect', async () => {
    const ids = ['c-0', 'c-1', 'c-2', 'c-3'];
    proxy.stall(true);
    const held = waitForEvent(proxy, 'held', { filter: (h) => h.direction === 'up' });
    const res = await call(svc.app, { method: 'POST', url: '/v1/events', headers: internalHeaders({ tenantId: 't-cut' }), payload: { events: ids.map((eventId) => ({ eventId, name: 'n', ts: '2024-05-01T10:00:00Z' })) } });
    expect(res.statusCode).toBe(202);
    await svc.app.ingestion.buffer.flush();
    await held;
    const scheduled = waitForEvent(svc.rabbit, 'reconnect-scheduled');
    proxy.cut();
    proxy.stall(false);
    await svc.app.ingestion.relay.idle();
    expect(await pending()).toEqual(ids);
    const { delay } = await scheduled;
    const reconnected = waitForEvent(svc.rabbit, 'reconnected');
    await clock.advanceAsync(delay);
    await reconnected;
    await expect(svc.app.ingestion.relay.flush()).resolves.toBe(4);
    await tap.until(() => ids.every((id) => delivered('t-cut').includes(id)));
    expect([...new Set(delivered('t-cut'))]).toEqual(ids);
    expect(await pending()).toEqual([]);
  });
});
