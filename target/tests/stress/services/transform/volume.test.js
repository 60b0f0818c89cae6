'use strict';

// Thousands of events across tenants and mapping versions, in orders drawn from a fixed-seed PRNG:
// every event is transformed by the mapping version current when it was processed, keeps its
// event time, and comes out once.

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { bootService } = require('../../../support/boot-service');
const { tapEvents } = require('../../../support/event-tap');
const { call } = require('../../../support/http');
const { createUdfPool } = require('../../../../services/transform/src/udf/pool');
const { EventEmitter } = require('node:events');
const { T0, DAY, record, envelope, admin, ingestionPublisher } = require('../../../integration/services/transform/helpers');

const ns = useNamespace({ databases: ['pipeline'] });
let clock;
let svc;
let tap;
let source;
const settled = { published: 0, duplicates: 0 };
const hooks = new EventEmitter();

beforeAll(async () => {
  clock = createFakeClock(T0);
  tap = await tapEvents(ns, 'transform.record');
  svc = await bootService('transform', {
    ns,
    clock,
    consumers: true,
    env: { UDF_POOL_SIZE: '2', CONSUMER_PREFETCH: '32' },
    options: {
      onPublished: () => {
        settled.published += 1;
        hooks.emit('settled');
      },
      onDuplicate: () => {
        settled.duplicates += 1;
        hooks.emit('settled');
      },
    },
  });
  source = await ingestionPublisher(ns);
});
ns.cleanup(async () => {
  await source.close();
  await svc.close();
  await tap.close();
});

const TENANTS = ['t-a', 't-b', 't-c', 't-d', 't-e'];
const putMapping = (tenant, version) => call(svc.app, { method: 'PUT', url: '/v1/mappings/metric', headers: admin(tenant), payload: { defaults: { 'properties.mv': version }, copy: { 'dimensions.country': `properties.c${version}` } } });

describe('transform at volume', () => {
  test('2000 events over 5 tenants with mapping updates interleaved follow the version current at each event', async () => {
    const prng = createPrng('transform-stress-1');
    const versions = Object.fromEntries(TENANTS.map((t) => [t, 0]));
    const { processor } = svc.app.transform;
    for (let i = 0; i < 2000; i += 1) {
      const tenant = prng.pick(TENANTS);
      if (prng.bool(0.01)) {
        versions[tenant] += 1;
        expect((await putMapping(tenant, versions[tenant])).json().version).toBe(versions[tenant]);
      }
      const ts = new Date(T0 - prng.int(0, 60) * DAY - prng.int(0, 86_399_999)).toISOString();
      const out = await processor.process(envelope(tenant, record(i, { name: 'metric', ts })));
      const v = versions[tenant];
      expect([out.data.mappingVersion, out.occurredAt, out.data.ts]).toEqual([v, ts, ts]);
      expect(out.data.properties.mv).toBe(v === 0 ? undefined : v);
      if (v > 0) expect(out.data.properties[`c${v}`]).toBe('DE');
      clock.advance(prng.int(0, 2000));
    }
  });

  test('1000 events transformed 25 at a time keep their own tenant\'s mapping and time', async () => {
    const prng = createPrng('transform-stress-2');
    for (const [i, tenant] of TENANTS.entries()) await call(svc.app, { method: 'PUT', url: '/v1/mappings/tagged', headers: admin(tenant), payload: { defaults: { 'dimensions.tenantTag': `tag-${i}` } } });
    const events = prng.shuffle(Array.from({ length: 1000 }, (_, i) => envelope(TENANTS[i % 5], record(5000 + i, { name: 'tagged', ts: new Date(T0 - i * 60_000).toISOString() }))));
    const { processor } = svc.app.transform;
    for (let start = 0; start < events.length; start += 25) {
      const batch = events.slice(start, start + 25);
      const outs = await Promise.all(batch.map((e) => processor.process(e)));
      for (const [j, out] of outs.entries()) {
        expect(out.id).toBe(batch[j].id);
        expect(out.data.dimensions.tenantTag).toBe(`tag-${TENANTS.indexOf(batch[j].tenantId)}`);
        expect(out.occurredAt).toBe(batch[j].data.ts);
      }
    }
  });

  test('600 events through the broker, shuffled and partly sent twice, come out once each', async () => {
    const prng = createPrng('transform-stress-3');
    const events = Array.from({ length: 600 }, (_, i) => envelope(TENANTS[i % 5], record(10_000 + i, { name: 'bulk', ts: new Date(T0 - prng.int(0, 90) * DAY).toISOString() })));
    const sends = prng.shuffle([...events, ...events.filter(() => prng.bool(0.1))]);
    for (const env of sends) await source.publish(env);
    const ids = new Set(events.map((e) => e.id));
    const outputs = () => tap.events.filter((e) => ids.has(e.id));
    // every delivery ends published or acknowledged as a duplicate; then the tap holds every output
    await new Promise((resolve) => {
      const check = () => {
        if (settled.published + settled.duplicates >= sends.length) {
          hooks.off('settled', check);
          resolve();
        }
      };
      hooks.on('settled', check);
      check();
    });
    await tap.until(() => outputs().length >= settled.published);
    expect(settled.published).toBe(events.length);
    const byId = new Map(events.map((e) => [e.id, e]));
    expect(outputs().map((o) => o.id).sort()).toEqual([...ids].sort());
    for (const out of outputs()) {
      expect(out.tenantId).toBe(byId.get(out.id).tenantId);
      expect(out.occurredAt).toBe(byId.get(out.id).data.ts);
    }
  });

  test('3000 UDF calls over 12 versions and 2 workers each run the code of their version', async () => {
    const prng = createPrng('transform-stress-4');
    const pool = createUdfPool({ size: 2, timeoutMs: 1000, memoryMb: 32, clock: createFakeClock(0) });
    try {
      const udfs = Array.from({ length: 12 }, (_, k) => ({ tenantId: `t-${k % 3}`, name: `f${k % 4}`, version: 1 + Math.floor(k / 4), source: `return { properties: { out: input.properties.x * ${k + 1} } };` }));
      for (let start = 0; start < 3000; start += 50) {
        const picks = Array.from({ length: 50 }, () => [prng.int(0, 11), prng.int(-1000, 1000)]);
        const outs = await Promise.all(picks.map(([k, x]) => pool.run(udfs[k], { name: 'n', ts: 't', properties: { x }, dimensions: {} })));
        expect(outs.map((o) => o.properties.out)).toEqual(picks.map(([k, x]) => x * (k + 1)));
      }
      expect(pool.stats()).toMatchObject({ calls: 3000, timeouts: 0, restarts: 0 });
    } finally {
      await pool.close();
    }
  });
});
