'use strict';

const pg = require('pg');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'] });
let admin;
const ops = internalHeaders({ tenantId: 'platform', role: 'platform-admin' });
const TENANTS = 1200;

// Counts the data rows PostgreSQL sends to admin over the wire, whatever SQL asked for them: what
// a page costs the database and the network, not what the response shows.
let rowsFromPostgres = 0;
class RowCountingClient extends pg.Client {
  constructor(config) {
    super(config);
    this.connection.on('dataRow', () => {
      rowsFromPostgres += 1;
    });
  }
}

beforeAll(async () => {
  admin = await bootService('admin', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)), poolOptions: { Client: RowCountingClient } });
  // Fixture tenants with usage, inserted in bulk (the API path is covered elsewhere).
  await admin.postgres.query('users', `
    INSERT INTO tenants (id, name, plan, status, created_at)
      SELECT 't-' || lpad(g::text, 5, '0'), 'Tenant ' || g, 'pro', 'active', now() FROM generate_series(1, ${TENANTS}) g;
    INSERT INTO tenant_usage (tenant_id, name, used)
      SELECT 't-' || lpad(g::text, 5, '0'), 'pipelines', g FROM generate_series(1, ${TENANTS}) g;`);
});
ns.cleanup(async () => {
  await admin.close();
});

describe('tenant listing cost', () => {
  test('the default page holds 100 tenants with their usage, in one query, with a cursor', async () => {
    admin.postgres.resetStats();
    const res = await call(admin.app, { url: '/admin/tenants', headers: ops });
    const page = res.json();
    expect(page.items).toHaveLength(100);
    expect(page.items[0]).toMatchObject({ id: 't-00001', usageTotal: 1 });
    expect(page.nextCursor).not.toBeNull();
    expect(admin.postgres.stats().users.queries).toBe(1);
  });

  test('a page reads at most one row more than it holds from PostgreSQL', async () => {
    for (const [query, pageSize] of [['', 100], ['?limit=7', 7], ['?limit=500&status=active', 500]]) {
      rowsFromPostgres = 0;
      const res = await call(admin.app, { url: `/admin/tenants${query}`, headers: ops });
      expect(res.json().items).toHaveLength(pageSize);
      expect(rowsFromPostgres).toBeGreaterThanOrEqual(pageSize);
      expect(rowsFromPostgres).toBeLessThanOrEqual(pageSize + 1);
    }
  });

  test('walking every page costs one query per page and returns each tenant once', async () => {
    admin.postgres.resetStats();
    const seen = new Set();
    let cursor = null;
    let pages = 0;
    do {
      const res = await call(admin.app, { url: `/admin/tenants?limit=500${cursor ? `&cursor=${cursor}` : ''}`, headers: ops });
      const page = res.json();
      for (const t of page.items) seen.add(t.id);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen.size).toBe(TENANTS);
    expect(pages).toBe(3);
    expect(admin.postgres.stats().users.queries).toBe(3);
  });

  test('a page larger than the maximum is refused', async () => {
    expect((await call(admin.app, { url: '/admin/tenants?limit=100000', headers: ops })).statusCode).toBe(400);
  });
});
