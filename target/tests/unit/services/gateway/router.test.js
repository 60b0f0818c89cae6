'use strict';

const { buildRouter } = require('../../../../services/gateway/src/router');
const { DEFAULT_ROUTES } = require('../../../../services/gateway/src/config');

const routes = {
  admin: { service: 'admin', prefix: '/admin' },
  auth: { service: 'auth', prefix: '/v1', anonymous: ['POST /sessions'], blocked: ['/keys/verify'] },
  query: { service: 'query', prefix: '/v1' },
};

describe('gateway router', () => {
  test('maps /api/v1/<route>/<rest> to the service and its prefix, keeping the query string', () => {
    const router = buildRouter(routes);
    expect(router.match('GET', '/api/v1/admin/tenants?limit=5')).toMatchObject({ kind: 'route', path: '/admin/tenants?limit=5', anonymous: false });
    expect(router.match('GET', '/api/v1/query/queries/1').route.service).toBe('query');
  });

  test('unknown routes and paths outside /api/v1 are not found', () => {
    const router = buildRouter(routes);
    expect(router.match('GET', '/api/v1/billing/x').kind).toBe('not-found');
    expect(router.match('GET', '/admin/tenants').kind).toBe('not-found');
  });

  test('an empty table routes nothing', () => {
    const router = buildRouter({});
    expect(router.size).toBe(0);
    expect(router.match('GET', '/api/v1/admin/tenants').kind).toBe('not-found');
  });

  test('anonymous paths are exact method and path matches', () => {
    const router = buildRouter(routes);
    expect(router.match('POST', '/api/v1/auth/sessions').anonymous).toBe(true);
    expect(router.match('GET', '/api/v1/auth/sessions').anonymous).toBe(false);
    expect(router.match('POST', '/api/v1/auth/sessions/x').anonymous).toBe(false);
  });

  test('blocked internal endpoints are not exposed', () => {
    const router = buildRouter(routes);
    expect(router.match('POST', '/api/v1/auth/keys/verify').kind).toBe('not-found');
    expect(router.match('GET', '/api/v1/auth/keys').kind).toBe('route');
  });

  test('invalid route entries are refused when the table is built', () => {
    expect(() => buildRouter({ Admin: { service: 'admin' } })).toThrow(/route name/);
    expect(() => buildRouter({ admin: { service: '../admin' } })).toThrow(/service/);
    expect(() => buildRouter({ admin: { service: 'admin', prefix: 'admin/' } })).toThrow(/prefix/);
  });

  test('the default table names every service but the gateway itself', () => {
    const router = buildRouter(DEFAULT_ROUTES);
    expect(router.names()).toHaveLength(14);
    expect(router.names()).not.toContain('gateway');
    expect(router.match('GET', '/api/v1/admin/tenants').path).toBe('/admin/tenants');
  });
});
