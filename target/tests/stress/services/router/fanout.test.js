'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { bootService } = require('../../../support/boot-service');
const { createDeferred } = require('../../../support/deferred');
const { record, delivery, recordingPublisher, tenantApi } = require('../../../unit/services/router/fixtures');

// Thousands of events handed to the router's consumer handler at once, in shuffled orders, with a
// publisher that fails on a pseudo-random schedule: every subscriber gets every matching event once, and
// an ordered subscription gets each key's events in the order they were received.

const ns = useNamespace({ databases: ['pipeline'] });
let failures = () => undefined;
const publisher = recordingPublisher({ failWith: (...args) => failures(...args) });
let router;

beforeAll(async () => {
  router = await bootService('router', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)), clients: { publisher } });
});
ns.cleanup(() => router.close());
afterEach(() => {
  failures = () => undefined;
});

const handle = (envelope) => router.app.routerParts.handleRecord(envelope, delivery(envelope));
const transient = () => Object.assign(new Error('sink busy'), { code: 'SINK_BUSY' });

describe('shuffled interleavings', () => {
  test.each([1, 2, 3])('seed %i: 800 events over 3 tenants, publishes failing now and then, keep per-key order and arrive once', async (seed) => {
    const prng = createPrng(`router-stress-${seed}`);
    const tenants = [`st${seed}-a`, `st${seed}-b`, `st${seed}-c`];
    const ordered = {};
    const all = {};
    for (const tenant of tenants) {
      const api = tenantApi(router.app, tenant);
      [ordered[tenant]] = await api.setup('orders', ['order.#'], { ordered: true, keyField: 'properties.orderId' });
      all[tenant] = (await api.subscribe('orders', '#')).json();
    }
    // Each copy fails its first publish with probability 0.2, never its last allowed one.
    failures = (env, options, attempt) => (attempt < 3 && prng.bool(0.2) ? transient() : undefined);
    const events = Array.from({ length: 800 }, (_, i) => {
      const tenant = prng.pick(tenants);
      return record({ id: `s${seed}-${i}`, tenantId: tenant, name: prng.bool(0.8) ? 'order.updated' : 'note', properties: { orderId: `o${prng.int(0, 9)}`, seq: i } });
    });
    const outcomes = await Promise.all(events.map(handle));
    expect(outcomes.every((o) => o.status === 'routed' && o.deadLettered.length === 0)).toBe(true);

    for (const tenant of tenants) {
      const mine = events.filter((e) => e.tenantId === tenant);
      expect(publisher.to(all[tenant].id).map((e) => e.data.sourceEventId).sort()).toEqual(mine.map((e) => e.id).sort());
      const copies = publisher.to(ordered[tenant].id);
      expect(copies).toHaveLength(mine.filter((e) => e.data.name === 'order.updated').length);
      for (let k = 0; k < 10; k += 1) {
        const seqs = copies.filter((c) => c.data.orderingKey === `o${k}`).map((c) => c.data.record.properties.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      }
    }
  });

  test('every event delivered twice in a shuffled order is routed once', async () => {
    const prng = createPrng('router-dup');
    const api = tenantApi(router.app, 'st-dup');
    const [sub] = await api.setup('all', ['#']);
    const events = Array.from({ length: 400 }, (_, i) => record({ id: `dup-${i}`, tenantId: 'st-dup', name: `e${i % 7}` }));
    const deliveries = prng.shuffle([...events, ...events]);
    await Promise.allSettled(deliveries.map(handle));
    // A copy still in flight makes its twin fail as "in progress": the consumer retries those.
    const retried = await Promise.all(events.map(handle));
    expect(retried.every((o) => o === undefined)).toBe(true);
    const ids = publisher.to(sub.id).map((e) => e.data.sourceEventId);
    expect(new Set(ids).size).toBe(400);
    expect(ids).toHaveLength(400);
  });

  test('one subscriber failing at random loses nothing for the others, and each of its failures is dead-lettered', async () => {
    const prng = createPrng('router-flaky');
    const api = tenantApi(router.app, 'st-flaky');
    const [flaky, steady1, steady2] = await api.setup('all', ['#', 'e.*', '*.*']);
    const doomed = new Set();
    failures = (env) => (env.data.subscriptionId === flaky.id && doomed.has(env.data.sourceEventId) ? transient() : undefined);
    const events = Array.from({ length: 500 }, (_, i) => record({ id: `fl-${i}`, tenantId: 'st-flaky', name: `e.n${i % 5}` }));
    for (const e of events) if (prng.bool(0.1)) doomed.add(e.id);
    await Promise.all(events.map(handle));
    expect(publisher.to(steady1.id)).toHaveLength(500);
    expect(publisher.to(steady2.id)).toHaveLength(500);
    expect(publisher.to(flaky.id)).toHaveLength(500 - doomed.size);
    const { rows } = await router.postgres.query('pipeline', "SELECT event_id FROM router_dead_letters WHERE tenant_id = 'st-flaky' AND reason = 'publish-failed' AND subscription_id = $1", [flaky.id]);
    expect(rows.map((r) => r.event_id).sort()).toEqual([...doomed].sort());
  });
});

describe('forced interleavings', () => {
  test('a tenant\'s later event waits for an earlier one whose publish is held; another tenant does not', async () => {
    const held = createDeferred();
    const reached = createDeferred();
    const a = tenantApi(router.app, 'st-hold-a');
    const [subA] = await a.setup('all', ['#']);
    const [subB] = await tenantApi(router.app, 'st-hold-b').setup('all', ['#']);
    const first = record({ tenantId: 'st-hold-a', name: 'first' });
    const gated = {
      async publish(key, env, opts) {
        if (env.data.sourceEventId === first.id) {
          reached.resolve();
          await held.promise;
        }
        return publisher.publish(key, env, opts);
      },
    };
    const { createFanout, createSentLog } = require('../../../../services/router/src/fanout');
    const { createRouter } = require('../../../../services/router/src/router');
    const { createRecordHandler } = require('../../../../services/router/src/consume');
    const r = router.app.routerParts;
    const fanout = createFanout({ publisher: gated, sent: createSentLog({ redis: router.redis, ttlMs: 60_000 }), deadLetters: r.deadLetters });
    const handleRecord = createRecordHandler({ router: createRouter({ topics: r.topics, matcher: r.matcher, fanout, deadLetters: r.deadLetters }), deadLetters: r.deadLetters, redis: router.redis, ttlMs: 60_000 });
    const second = record({ tenantId: 'st-hold-a', name: 'second' });
    const other = record({ tenantId: 'st-hold-b', name: 'other' });
    const p1 = handleRecord(first, delivery(first));
    const p2 = handleRecord(second, delivery(second));
    await reached.promise;
    await handleRecord(other, delivery(other));
    expect(publisher.to(subB.id)).toHaveLength(1);
    expect(publisher.to(subA.id)).toHaveLength(0);
    held.resolve();
    await Promise.all([p1, p2]);
    expect(publisher.to(subA.id).map((e) => e.data.routingKey)).toEqual(['first', 'second']);
  });
});
