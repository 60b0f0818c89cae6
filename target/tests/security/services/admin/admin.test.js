'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'] });
let admin;
const ops = internalHeaders({ tenantId: 'platform', role: 'platform-admin' });

beforeAll(async () => {
  admin = await bootService('admin', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)) });
  await call(admin.app, { method: 'POST', url: '/admin/tenants', headers: ops, payload: { id: 't1', name: 'T1', plan: 'pro' } });
});
ns.cleanup(async () => {
  await admin.close();
});

const ROUTES = [
  ['POST', '/admin/tenants/t1/suspend', { reason: 'x' }],
  ['GET', '/admin/tenants', undefined],
  ['DELETE', '/admin/tenants/t1', undefined],
  ['PUT', '/admin/tenants/t1/quotas/pipelines', { limit: 1 }],
  ['PUT', '/admin/flags/new-ui', { enabled: true }],
  ['GET', '/admin/audit', undefined],
];

describe('admin route authorization', () => {
  test.each(ROUTES)('unauthenticated %s %s is 401', async (method, url, payload) => {
    const res = await call(admin.app, { method, url, payload });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('ADMIN_UNAUTHENTICATED');
  });

  test('identity headers without the internal token are not trusted', async () => {
    const headers = { ...ops, 'x-internal-token': 'not-the-token' };
    expect((await call(admin.app, { method: 'POST', url: '/admin/tenants/t1/suspend', headers, payload: { reason: 'x' } })).statusCode).toBe(401);
  });

  test.each(['owner', 'admin', 'member'])('a tenant %s is 403 on admin routes', async (role) => {
    const res = await call(admin.app, { method: 'POST', url: '/admin/tenants/t1/suspend', headers: internalHeaders({ tenantId: 't1', role }), payload: { reason: 'x' } });
    expect(res.statusCode).toBe(403);
  });

  test.each([
    ['GET', '/%61dmin/tenants'],
    ['GET', '/admin/%74enants'],
    ['GET', '/admin/tenants/'],
    ['GET', '/admin/tenants?status=active'],
    ['POST', '/%61dmin/tenants/t1/suspend'],
    ['POST', '/admin/tenants/%74%31/suspend'],
  ])('unauthenticated %s %s, another spelling of an admin route, is refused', async (method, url) => {
    const res = await call(admin.app, { method, url, payload: method === 'POST' ? { reason: 'x' } : undefined });
    expect([401, 404]).toContain(res.statusCode);
  });

  test('nothing was changed by the refused calls', async () => {
    expect((await call(admin.app, { url: '/admin/tenants/t1', headers: ops })).json().status).toBe('active');
  });
});

describe('admin request bodies', () => {
  test.each([
    ['__proto__', '{"id":"t2","name":"x","plan":"pro","__proto__":{"polluted":true}}'],
    ['constructor.prototype', '{"id":"t3","name":"x","plan":"pro","constructor":{"prototype":{"polluted":true}}}'],
  ])('a %s body is refused and pollutes nothing', async (name, payload) => {
    const res = await call(admin.app, { method: 'POST', url: '/admin/tenants', headers: { ...ops, 'content-type': 'application/json' }, payload });
    expect(res.statusCode).toBe(400);
    expect({}.polluted).toBeUndefined();
  });

  test('tenant ids that are not slugs are refused', async () => {
    for (const id of ['../t1', 'T1', "t1'; DROP TABLE tenants;--"]) {
      const res = await call(admin.app, { method: 'POST', url: '/admin/tenants', headers: ops, payload: { id, name: 'x', plan: 'pro' } });
      expect(res.statusCode).toBe(400);
    }
  });
});
