'use strict';

// End to end on the real servers: ingestion.record envelopes published to dn.events are consumed
// from transform.ingestion and come out as transform.record on dn.events.

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { call } = require('../../../support/http');
const { EventEmitter } = require('node:events');
const { waitForEvent } = require('../../../support/wait-for');
const { T0, HOUR, DAY, record, envelope, admin, ingestionPublisher, tapDeadLetters } = require('./helpers');

const ns = useNamespace({ databases: ['pipeline'] });
let clock;
let svc;
let tap;
let source;
let dead;
const hooks = new EventEmitter();

beforeAll(async () => {
  clock = createFakeClock(T0);
  tap = await tapEvents(ns, 'transform.record');
  dead = await tapDeadLetters(ns, 'transform.ingestion');
  svc = await bootService('transform', {
    ns,
    clock,
    consumers: true,
    env: { UDF_POOL_SIZE: '1' },
    options: { onDuplicate: (id) => hooks.emit('duplicate', id) },
  });
  source = await ingestionPublisher(ns);
});
ns.cleanup(async () => {
  await source.close();
  await dead.close();
  await svc.close();
  await tap.close();
});

const put = (url, payload, tenantId = 't-acme') => call(svc.app, { method: 'PUT', url, headers: admin(tenantId), payload });
const outputsOf = (id) => tap.events.filter((e) => e.id === id);
async function transformed(id) {
  await tap.until(() => outputsOf(id).length > 0);
  return outputsOf(id)[0];
}

describe('ingestion.record in, transform.record out', () => {
  test('an event with a mapping comes out mapped, versioned, enriched, with its id and event time', async () => {
    await put('/v1/enrichment/planTier', { value: 'paid' });
    await put('/v1/mappings/page.view', { rename: { 'properties.path': 'dimensions.page' } });
    await put('/v1/mappings/page.view', { rename: { 'properties.path': 'dimensions.page' }, enrich: ['planTier'], options: { nameCase: 'upper' } });
    const ts = new Date(T0 - 26 * HOUR).toISOString();
    await source.publish(envelope('t-acme', record(1, { ts })));
    const out = await transformed('evt-1');
    expect(out).toEqual({
      id: 'evt-1',
      type: 'transform.record',
      version: 1,
      occurredAt: ts,
      tenantId: 't-acme',
      data: {
        ...record(1, { ts }),
        name: 'PAGE.VIEW',
        properties: { durationMs: 1200 },
        dimensions: { country: 'DE', page: '/pricing' },
        mappingVersion: 2,
        enrichment: { planTier: 'paid' },
      },
    });
  });

  test('events keep their own event times, whatever the order they arrive in', async () => {
    const times = [3 * DAY, 5 * 60_000, 40 * DAY, HOUR].map((ago) => new Date(T0 - ago).toISOString());
    for (const [i, ts] of times.entries()) await source.publish(envelope('t-acme', record(100 + i, { name: 'click', ts })));
    for (const [i, ts] of times.entries()) {
      const out = await transformed(`evt-${100 + i}`);
      expect([out.occurredAt, out.data.ts]).toEqual([ts, ts]);
    }
  });

  test('an event without a mapping passes through as mapping version 0', async () => {
    await source.publish(envelope('t-none', record(2, { name: 'unmapped' })));
    const out = await transformed('evt-2');
    expect(out.data).toEqual({ ...record(2, { name: 'unmapped' }), mappingVersion: 0 });
  });

  test('a UDF updated between two events runs its new code for the second', async () => {
    await put('/v1/udfs/stamp', { source: 'return { dimensions: { stamp: "red" } };' });
    await put('/v1/mappings/stamped', { udf: 'stamp' });
    await source.publish(envelope('t-acme', record(3, { name: 'stamped' })));
    expect((await transformed('evt-3')).data.dimensions.stamp).toBe('red');
    await put('/v1/udfs/stamp', { source: 'return { dimensions: { stamp: "tan" } };' });
    await source.publish(envelope('t-acme', record(4, { name: 'stamped' })));
    expect((await transformed('evt-4')).data.dimensions.stamp).toBe('tan');
  });

  test('an event that is not an ingestion.record is dead-lettered without output', async () => {
    for (const [n, data] of [[5, { ...record(5), ts: 'yesterday' }], [6, { ...record(6), extra: true }]]) {
      await source.publish(envelope('t-acme', data));
      await dead.until(() => dead.events.some((e) => e.id === `evt-${n}`));
    }
    await source.publish(envelope('t-acme', record(9)));
    await transformed('evt-9');
    expect(outputsOf('evt-5')).toEqual([]);
    expect(outputsOf('evt-6')).toEqual([]);
  });

  test('an event delivered twice is transformed and published once', async () => {
    const env = envelope('t-acme', record(7));
    await source.publish(env);
    await transformed('evt-7');
    const duplicate = waitForEvent(hooks, 'duplicate', { filter: (id) => id === 'evt-7' });
    await source.publish(env);
    await duplicate;
    expect(outputsOf('evt-7')).toHaveLength(1);
  });
});
