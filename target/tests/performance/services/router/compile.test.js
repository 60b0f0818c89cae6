'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { createMatcher } = require('../../../../services/router/src/match');
const { record, recordingPublisher, tenantApi } = require('../../../unit/services/router/fixtures');

// Routing cost is counted, never timed: patterns compiled (the matcher's `compiled` statistic,
// GET /v1/routing/stats `patternsCompiled`), subscription table loads and publishes.

const ns = useNamespace({ databases: ['pipeline'] });
const publisher = recordingPublisher();
let router;

beforeAll(async () => {
  router = await bootService('router', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)), clients: { publisher } });
});
ns.cleanup(() => router.close());

const stats = async (api) => (await api.get('/v1/routing/stats')).json();
const routeOf = (env) => ({ tenantId: env.tenantId, eventId: env.id, key: env.data.name, envelope: env });

describe('pattern compilation', () => {
  test('10000 keys against 50 bindings compile each binding once', () => {
    const m = createMatcher();
    const subs = Array.from({ length: 50 }, (_, j) => ({ id: `s${j}`, pattern: j % 2 ? `m${j}.#` : `*.m${j}.*` }));
    let matched = 0;
    for (let i = 0; i < 10_000; i += 1) matched += m.select(subs, `m${i % 50}.host-${i}`).length;
    expect(matched).toBe(5_000);
    expect(m.stats()).toEqual({ compiled: 50, cached: 50 });
  });

  test('routing 2000 events of one tenant through 50 subscriptions compiles 50 patterns and loads the table once', async () => {
    const api = tenantApi(router.app, 'perf-a');
    const subs = await api.setup('metrics', Array.from({ length: 50 }, (_, j) => `m${j}.#`));
    const before = await stats(api);
    for (let i = 0; i < 2000; i += 1) {
      await router.app.routerParts.router.route(routeOf(record({ tenantId: 'perf-a', name: `m${i % 50}.cpu.host-${i}` })));
    }
    const after = await stats(api);
    expect(after.patternsCompiled - before.patternsCompiled).toBeLessThanOrEqual(50);
    expect(after.tableLoads - before.tableLoads).toBe(1);
    expect(after.published - before.published).toBe(2000);
    expect(publisher.to(subs[7].id)).toHaveLength(40);
  });

  test('many tenants with their own patterns compile each distinct pattern once', async () => {
    const tenants = ['perf-b', 'perf-c', 'perf-d', 'perf-e'];
    for (const tenant of tenants) {
      await tenantApi(router.app, tenant).setup('t', Array.from({ length: 25 }, (_, j) => `${tenant}.k${j}.*`));
    }
    const api = tenantApi(router.app, 'perf-b');
    const before = await stats(api);
    for (let round = 0; round < 8; round += 1) {
      for (const tenant of tenants) {
        for (let j = 0; j < 25; j += 1) {
          await router.app.routerParts.router.route(routeOf(record({ tenantId: tenant, name: `${tenant}.k${j}.r${round}` })));
        }
      }
    }
    const after = await stats(api);
    expect(after.patternsCompiled - before.patternsCompiled).toBeLessThanOrEqual(100);
    expect(after.published - before.published).toBe(800);
  });
});

describe('matcher cache', () => {
  test('each pattern is compiled once however many keys it is tested against', () => {
    const m = createMatcher();
    for (let i = 0; i < 200; i += 1) {
      m.matches('metrics.#', `metrics.host-${i}`);
      m.matches('*.cpu', `host-${i}.cpu`);
    }
    expect(m.stats()).toEqual({ compiled: 2, cached: 2 });
  });

  test('the cache is bounded and drops the least recently used pattern first', () => {
    const m = createMatcher({ cacheSize: 2 });
    m.matches('a', 'a');
    m.matches('b', 'b');
    m.matches('a', 'a');
    m.matches('c', 'c');
    expect(m.stats()).toEqual({ compiled: 3, cached: 2 });
    m.matches('a', 'a');
    expect(m.stats().compiled).toBe(3);
    m.matches('b', 'b');
    expect(m.stats().compiled).toBe(4);
  });
});
