'use strict';

const { useNamespace } = require('../../../support/namespace');
const { aggregateHarness } = require('../../../unit/services/aggregate/harness');
const { routed, tumbling } = require('../../../unit/services/aggregate/fixtures');

// Aggregation cost is counted, never timed: Redis commands sent per record, publishes per
// window, definition loads per tenant.

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MIN = 60_000;
const ns = useNamespace({ databases: ['pipeline', 'metrics'] });

/** Counts the commands a client sends (by name) while it is installed. */
function countCommands(redis) {
  const counts = {};
  const original = redis.sendCommand;
  redis.sendCommand = function counted(command, ...rest) {
    counts[command.name] = (counts[command.name] || 0) + 1;
    return original.call(this, command, ...rest);
  };
  return {
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    stop() {
      redis.sendCommand = original;
    },
  };
}

describe('Redis commands per record', () => {
  test('600 records into one tumbling rollup cost at most 6 Redis commands each, whatever was already stored', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1', AGGREGATE_BATCH: '100' } });
    await h.api('t-cost').rollup(tumbling('cost', 10 * MIN));
    const events = Array.from({ length: 600 }, (_, i) => routed({ tenantId: 't-cost', ts: T0 + i * 100 }));
    await h.feed(events.slice(0, 100));
    const counter = countCommands(h.service.redis);
    await h.feed(events.slice(100));
    counter.stop();
    // ingress append (1), membership + accumulator read (2), atomic commit (1), ack (1), plus
    // one read and one advance per batch.
    expect(counter.total() / 500).toBeLessThanOrEqual(6);
    expect(counter.counts.evalsha + (counter.counts.eval || 0)).toBeLessThanOrEqual(2 * 500 + 20);
  }, 120_000);

  test('a record feeding a hopping rollup of 10 windows costs about 10 times the window update, not more', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-hopcost').rollup({ rollupId: 'hopcost', field: 'count', window: { kind: 'hopping', sizeMs: 10 * MIN, advanceMs: MIN } });
    await h.feed([routed({ tenantId: 't-hopcost', ts: T0 })]);
    const counter = countCommands(h.service.redis);
    await h.feed(Array.from({ length: 100 }, (_, i) => routed({ tenantId: 't-hopcost', ts: T0 + 1000 + i * 10 })));
    counter.stop();
    expect(counter.total() / 100).toBeLessThanOrEqual(10 * 3 + 4);
  }, 120_000);
});

describe('publishes and loads', () => {
  test('one publish per closed window, none per record', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-pub').rollup(tumbling('pub', MIN, { groupBy: ['host'] }));
    const events = [];
    for (let m = 0; m < 5; m += 1) for (let i = 0; i < 100; i += 1) events.push(routed({ tenantId: 't-pub', ts: T0 + m * MIN + i * 500, dimensions: { host: `h${i % 4}` } }));
    await h.feed([...events, routed({ tenantId: 't-pub', ts: T0 + 6 * MIN, dimensions: { host: 'h0' } })]);
    expect(h.publisher.attempts()).toBe(5 * 4);
    expect(h.emitted()).toHaveLength(5 * 4);
  }, 120_000);

  test('a tenant’s definitions are loaded once for 500 records', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-loads').rollup(tumbling('loads', MIN));
    const before = h.parts.rollups.stats().loads;
    await h.feed(Array.from({ length: 500 }, (_, i) => routed({ tenantId: 't-loads', ts: T0 + i * 10 })));
    expect(h.parts.rollups.stats().loads - before).toBe(1);
  }, 120_000);

  test('advancing with 500 windows not yet due reads none of them', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-adv').rollup(tumbling('adv', MIN, { groupBy: ['k'] }));
    await h.feed(Array.from({ length: 500 }, (_, i) => routed({ tenantId: 't-adv', ts: T0 + 1000, dimensions: { k: `k${i}` } })));
    const counter = countCommands(h.service.redis);
    await h.parts.engine.advance();
    counter.stop();
    // the outbox is read, no window is
    expect(counter.counts.hgetall || 0).toBeLessThanOrEqual(1);
    expect(counter.total()).toBeLessThanOrEqual(12);
  }, 120_000);

  test('closing 200 windows at once reads each window once and drops each once', async () => {
    const h = await aggregateHarness(ns, { env: { AGGREGATE_PARTITIONS: '1' } });
    await h.api('t-close').rollup(tumbling('close', MIN, { groupBy: ['k'] }));
    await h.feed(Array.from({ length: 200 }, (_, i) => routed({ tenantId: 't-close', ts: T0 + 1000, dimensions: { k: `k${i}` } })));
    await h.parts.ingress.handleRouted(routed({ tenantId: 't-close', ts: T0 + 5 * MIN, dimensions: { k: 'last' } }));
    const counter = countCommands(h.service.redis);
    await h.parts.engine.pump();
    counter.stop();
    expect(h.emitted()).toHaveLength(200);
    // per window: read for emission, staging script, confirm; read and one transaction at GC
    expect(counter.total()).toBeLessThanOrEqual(200 * 10 + 40);
  }, 120_000);
});
