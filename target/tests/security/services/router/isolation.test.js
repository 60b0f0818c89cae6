'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');
const { record, delivery, recordingPublisher, tenantApi } = require('../../../unit/services/router/fixtures');

const ns = useNamespace({ databases: ['pipeline'] });
const publisher = recordingPublisher();
let router;

beforeAll(async () => {
  router = await bootService('router', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)), clients: { publisher } });
});
ns.cleanup(() => router.close());

const handle = (envelope) => router.app.routerParts.handleRecord(envelope, delivery(envelope));

describe('tenant isolation', () => {
  test('a tenant\'s catch-all subscription never receives another tenant\'s events', async () => {
    const a = tenantApi(router.app, 'sec-a');
    const b = tenantApi(router.app, 'sec-b');
    const [aAll] = await a.setup('all', ['#']);
    const [bAll] = await b.setup('all', ['#']);
    for (let i = 0; i < 10; i += 1) {
      await handle(record({ tenantId: i % 2 ? 'sec-a' : 'sec-b', name: `n${i}.x` }));
    }
    expect(publisher.to(aAll.id).map((e) => e.tenantId)).toEqual(Array(5).fill('sec-a'));
    expect(publisher.to(bAll.id).map((e) => e.tenantId)).toEqual(Array(5).fill('sec-b'));
  });

  test('a tenant cannot read, subscribe to, delete or replay into another tenant\'s topics', async () => {
    const owner = tenantApi(router.app, 'sec-owner');
    const [sub] = await owner.setup('private', ['#']);
    const other = tenantApi(router.app, 'sec-other');
    expect((await other.get('/v1/topics/private')).statusCode).toBe(404);
    expect((await other.subscribe('private', '#')).statusCode).toBe(404);
    expect((await other.del(`/v1/topics/private/subscriptions/${sub.id}`)).statusCode).toBe(404);
    expect((await other.del('/v1/topics/private')).statusCode).toBe(404);
    expect((await other.get('/v1/topics')).json().items).toEqual([]);
    // A body naming a tenant is not obeyed: the topic is the caller's.
    const smuggled = await call(router.app, { method: 'POST', url: '/v1/topics', headers: other.headers, payload: { name: 'x', tenantId: 'sec-owner' } });
    expect(smuggled.statusCode).toBe(201);
    expect((await owner.get('/v1/topics')).json().items.map((t) => t.name)).toEqual(['private']);
    expect((await other.get('/v1/topics')).json().items.map((t) => t.name)).toEqual(['x']);

    await handle(record({ tenantId: 'sec-lost', name: 'nowhere' }));
    const lost = tenantApi(router.app, 'sec-lost');
    const [dead] = (await lost.get('/v1/dead-letters')).json().items;
    expect(dead.tenantId).toBe('sec-lost');
    expect((await other.get('/v1/dead-letters')).json().items).toEqual([]);
    expect((await other.get('/v1/dead-letters?tenantId=sec-lost')).statusCode).toBe(403);
    expect((await other.post('/v1/dead-letters/replay', { ids: [dead.id] })).json().results).toEqual([{ id: dead.id, replayed: false, reason: 'not-found' }]);
    const ops = tenantApi(router.app, 'platform', 'platform-admin');
    expect((await ops.get('/v1/dead-letters?tenantId=sec-lost')).json().items.map((d) => d.id)).toEqual([dead.id]);
  });

  test('without the gateway\'s token the caller is unauthenticated; read-only roles cannot change routing', async () => {
    const forged = { 'x-tenant-id': 'sec-a', 'x-user-role': 'admin', 'x-internal-token': 'guess' };
    expect((await call(router.app, { method: 'GET', url: '/v1/topics', headers: forged })).statusCode).toBe(401);
    expect((await call(router.app, { method: 'GET', url: '/v1/topics' })).json().code).toBe('ROUTER_UNAUTHENTICATED');
    const viewer = internalHeaders({ tenantId: 'sec-a', role: 'viewer' });
    expect((await call(router.app, { method: 'GET', url: '/v1/topics', headers: viewer })).statusCode).toBe(200);
    const res = await call(router.app, { method: 'POST', url: '/v1/topics', headers: viewer, payload: { name: 'v' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('ROUTER_FORBIDDEN');
  });
});

describe('hostile input', () => {
  test('patterns that are regular expressions or blow up matching are refused', async () => {
    const api = tenantApi(router.app, 'sec-patterns');
    await api.createTopic('t');
    for (const pattern of ['(a+)+$', '.*', 'a.[b-z]', 'a.b\\', '#.a.#.a.#.a.#.a', `${'a.'.repeat(40)}a`, 'x'.repeat(300), 'a.b c']) {
      const res = await api.subscribe('t', pattern);
      expect({ pattern, status: res.statusCode, code: res.json().code }).toEqual({ pattern, status: 400, code: 'ROUTER_PATTERN_INVALID' });
    }
    expect((await api.get('/v1/topics/t')).json().subscriptions).toEqual([]);
  });

  test('a key field cannot reach outside the event or into inherited properties', async () => {
    const api = tenantApi(router.app, 'sec-keys');
    await api.createTopic('t');
    for (const keyField of ['__proto__.polluted', 'properties.__proto__x.y', 'constructor', 'properties', 'properties.a.b', '../x']) {
      expect((await api.subscribe('t', '#', { ordered: true, keyField })).statusCode).toBe(400);
    }
    const [sub] = await api.setup('u', ['#'], { ordered: true, keyField: 'properties.__proto__' });
    const env = JSON.parse(JSON.stringify(record({ tenantId: 'sec-keys' })).replace('"properties":{}', '"properties":{"__proto__":{"polluted":"yes"}}'));
    await handle(env);
    expect(publisher.to(sub.id)).toHaveLength(1);
    expect({}.polluted).toBeUndefined();
  });

  test('oversized bodies and descriptions are refused', async () => {
    const api = tenantApi(router.app, 'sec-big');
    const big = await call(router.app, { method: 'POST', url: '/v1/topics', headers: api.headers, payload: { name: 'big', description: 'x'.repeat(70_000) } });
    expect(big.statusCode).toBe(413);
    expect((await api.createTopic('d', 'y'.repeat(600))).statusCode).toBe(400);
  });
});
