'use strict';

// transform when its broker link, its database or a UDF worker fails under it: every accepted
// event still comes out, once per event id.

const { EventEmitter } = require('node:events');
const amqp = require('amqplib');
const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { waitForEvent, stallWatch, stalled, STALL_MS } = require('../../../support/wait-for');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { call } = require('../../../support/http');
const infra = require('../../../support/infra-urls');
const { T0, record, envelope, admin, ingestionPublisher, tapDeadLetters } = require('../../../integration/services/transform/helpers');

const ns = useNamespace({ databases: ['pipeline'] });
const hooks = new EventEmitter();
let clock;
let amqpProxy;
let pgProxy;
let svc;
let tap;
let dead;
let source;

beforeAll(async () => {
  clock = createFakeClock(T0);
  const amqpUrl = new URL(infra.amqpUrl);
  const pgUrl = new URL(infra.postgresAdminUrl);
  amqpProxy = await createFaultProxy({ host: amqpUrl.hostname, port: Number(amqpUrl.port || 5672) });
  pgProxy = await createFaultProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  tap = await tapEvents(ns, 'transform.record');
  dead = await tapDeadLetters(ns, 'transform.ingestion');
  svc = await bootService('transform', {
    ns,
    clock,
    consumers: true,
    env: { AMQP_URL: amqpProxy.url(ns.env.AMQP_URL), PIPELINE_DATABASE_URL: pgProxy.url(ns.env.PIPELINE_DATABASE_URL), UDF_POOL_SIZE: '1', UDF_MEMORY_MB: '16' },
    options: {
      onPublished: (env) => hooks.emit('published', env),
      onDuplicate: (id) => hooks.emit('duplicate', id),
    },
  });
  source = await ingestionPublisher(ns);
});
ns.cleanup(async () => {
  amqpProxy.stall(false);
  amqpProxy.refuse(false);
  pgProxy.refuse(false);
  await source.close();
  await svc.close();
  await dead.close();
  await tap.close();
  await amqpProxy.close();
  await pgProxy.close();
});

const outputsOf = (id) => tap.events.filter((e) => e.id === id);
const transformed = (id) => tap.until(() => outputsOf(id).length > 0);

/** Drives the rabbit client's backoff on the fake clock until it is connected again. */
async function reconnect() {
  for (let attempt = 0; attempt < 20 && !svc.rabbit.isConnected(); attempt += 1) {
    const outcome = Promise.race([waitForEvent(svc.rabbit, 'reconnected'), waitForEvent(svc.rabbit, 'reconnect-failed')]);
    clock.advance(60_000);
    await outcome;
  }
  expect(svc.rabbit.isConnected()).toBe(true);
}

/**
 * Resolves with the copy of event `id` once it is held in transform.ingestion's retry queue, however the
 * consumer put it there (through dn.retry or straight into the queue): what the test cares about is
 * that the failed delivery waits to be tried again, not which route it took. The copy is looked at
 * and put back (its expiry is kept), so the retry goes on as if nobody had looked.
 */
async function nextRetry(id) {
  const conn = await amqp.connect(ns.env.AMQP_URL);
  conn.on('error', () => {});
  const ch = await conn.createChannel();
  let closed = false;
  const retried = (async () => {
    let stalledOut = false;
    const watch = stallWatch(() => { stalledOut = true; });
    try {
      // asks the broker again as soon as it answers; a copy that never comes ends the wait after
      // STALL_MS, as every wait on the system under test does (wait-for.js)
      while (!closed && !stalledOut) {
        const msg = await ch.get('transform.ingestion.retry', { noAck: false });
        if (!msg) continue;
        ch.nack(msg, false, true);
        const event = JSON.parse(msg.content.toString('utf8'));
        if (event.id === id) return event;
      }
      throw stalled('waiting for a copy in transform.ingestion.retry', STALL_MS);
    } finally {
      watch.stop();
    }
  })();
  retried.catch(() => {});
  const spy = { retried, close: () => { closed = true; openSpies.delete(spy); return conn.close().catch(() => {}); } };
  openSpies.add(spy);
  return spy;
}

// A test that failed (a copy that never came, the jest timeout) leaves neither a spy asking the
// broker nor a refused database behind for the next test.
const openSpies = new Set();
afterEach(async () => {
  pgProxy.refuse(false);
  await Promise.all([...openSpies].map((s) => s.close()));
});

describe('transform under failures', () => {
  test('a consumer that loses the broker after publishing, before its ack, is redelivered the event and publishes nothing twice', async () => {
    const lost = waitForEvent(svc.rabbit, 'disconnected');
    const published = waitForEvent(hooks, 'published', { filter: (env) => env.id === 'evt-1' });
    const duplicate = waitForEvent(hooks, 'duplicate', { filter: (id) => id === 'evt-1' });
    hooks.once('published', () => {
      amqpProxy.refuse(true);
      amqpProxy.cut();
    });
    await source.publish(envelope('t-acme', record(1)));
    await published;
    await lost;
    amqpProxy.refuse(false);
    await reconnect();
    await duplicate;
    await source.publish(envelope('t-acme', record(2)));
    await transformed('evt-2');
    await transformed('evt-1');
    expect(outputsOf('evt-1')).toHaveLength(1);
  });

  test('events that arrive while the broker link is stalled and then cut all come out once the link is back', async () => {
    const lost = waitForEvent(svc.rabbit, 'disconnected');
    amqpProxy.stall(true);
    const ids = Array.from({ length: 20 }, (_, i) => `evt-${100 + i}`);
    for (let i = 0; i < ids.length; i += 1) await source.publish(envelope(`t-${i % 3}`, record(100 + i)));
    amqpProxy.refuse(true);
    amqpProxy.cut();
    amqpProxy.stall(false);
    await lost;
    amqpProxy.refuse(false);
    await reconnect();
    await tap.until(() => ids.every((id) => outputsOf(id).length > 0));
    for (const id of ids) {
      const outputs = outputsOf(id);
      // a publish the broker took before the cut may be repeated; consumers deduplicate on the id
      for (const out of outputs) expect(out).toEqual(outputs[0]);
      expect(outputs[0].data.eventId).toBe(id);
    }
  });

  test('an event whose database lookups fail is retried and transformed once the database is back', async () => {
    const retry = await nextRetry('evt-3');
    try {
      pgProxy.refuse(true);
      pgProxy.cut();
      await source.publish(envelope('t-acme', record(3)));
      expect((await retry.retried).id).toBe('evt-3');
      pgProxy.refuse(false);
      await transformed('evt-3');
      expect(outputsOf('evt-3')).toHaveLength(1);
    } finally {
      pgProxy.refuse(false);
      await retry.close();
    }
  });

  test('a UDF worker killed mid-call fails only its event, and the next event is transformed', async () => {
    await call(svc.app, { method: 'PUT', url: '/v1/udfs/hog', headers: admin(), payload: { source: 'const keep = []; for (;;) keep.push(new Array(1e6).fill(1));' } });
    await call(svc.app, { method: 'PUT', url: '/v1/mappings/hog.event', headers: admin(), payload: { udf: 'hog' } });
    await source.publish(envelope('t-acme', record(4, { name: 'hog.event' })));
    await dead.until(() => dead.events.some((e) => e.id === 'evt-4'));
    await source.publish(envelope('t-acme', record(5)));
    await transformed('evt-5');
    expect(outputsOf('evt-4')).toEqual([]);
    expect(svc.app.transform.pool.stats().crashes).toBe(1);
  });
});
