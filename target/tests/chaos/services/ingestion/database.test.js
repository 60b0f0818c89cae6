'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPostgres } = require('../../../../shared/clients/postgres');
const { runMigrations } = require('../../../../shared/utils/migrate');
const { silentLogger } = require('../../../../shared/utils/logger');
const { MIGRATIONS_DIR } = require('../../../../services/ingestion/src/index');
const { bootService } = require('../../../support/boot-service');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { waitForEvent } = require('../../../support/wait-for');
const { call, internalHeaders } = require('../../../support/http');

// PostgreSQL goes away while a batch is being written: the batch is not lost (it stays buffered
// and is written by a later flush) and not written twice.

const ns = useNamespace({ databases: ['pipeline'] });
let svc;
let proxy;
let direct;
let clock;
let proxied;

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  const port = Number(new URL(ns.env.PIPELINE_DATABASE_URL).port || 5432);
  proxy = await createFaultProxy({ host: '127.0.0.1', port });
  // Migrated directly; the service's own client reaches PostgreSQL only through the proxy.
  direct = createPostgres(ns.env);
  await runMigrations(direct.pool('pipeline'), MIGRATIONS_DIR, { table: 'ingestion_migrations' });
  proxied = createPostgres({ ...ns.env, PIPELINE_DATABASE_URL: proxy.url(ns.env.PIPELINE_DATABASE_URL) }, { logger: silentLogger });
  svc = await bootService('ingestion', { ns, clock, env: { INGEST_BATCH_SIZE: '1000' }, clients: { postgres: proxied } });
});
ns.cleanup(async () => {
  await svc.close();
  await proxied.close();
  await direct.close();
  await proxy.close();
});

const send = (tenantId, ids) => call(svc.app, { method: 'POST', url: '/v1/events', headers: internalHeaders({ tenantId }), payload: { events: ids.map((eventId) => ({ eventId, name: 'n', ts: '2024-05-01T10:00:00Z' })) } });
const storedOf = async (tenantId) => (await direct.query('pipeline', 'SELECT event_id FROM ingestion_outbox WHERE tenant_id = $1 ORDER BY seq', [tenantId])).rows.map((r) => r.event_id);

describe('PostgreSQL cut during a write', () => {
  test.each([
    ['t-cut-a', 3, 2],
    ['t-cut-b', 1, 4],
  ])('%s: the batch stays buffered, events sent meanwhile join it, and each is written once', async (tenantId, before, during) => {
    const first = Array.from({ length: before }, (_, i) => `${tenantId}-a${i}`);
    const later = Array.from({ length: during }, (_, i) => `${tenantId}-b${i}`);
    expect((await send(tenantId, first)).statusCode).toBe(202);
    proxy.stall(true);
    const held = waitForEvent(proxy, 'held');
    const write = svc.app.ingestion.buffer.flush();
    await held;
    expect((await send(tenantId, later)).statusCode).toBe(202);
    proxy.cut();
    proxy.stall(false);
    await expect(write).rejects.toThrow();
    expect(svc.app.ingestion.buffer.stats().held).toBe(before + during);
    expect(await storedOf(tenantId)).toEqual([]);
    await svc.app.ingestion.buffer.flush();
    expect(await storedOf(tenantId)).toEqual([...first, ...later]);
    await svc.app.ingestion.buffer.flush();
    await send(tenantId, first);
    await svc.app.ingestion.buffer.flush();
    expect(await storedOf(tenantId)).toEqual([...first, ...later]);
  });

  test('while the database is away the timer keeps retrying and nothing accepted is lost', async () => {
    const ids = ['t-away-0', 't-away-1'];
    await send('t-away', ids);
    proxy.refuse(true);
    proxy.cut();
    await clock.advanceAsync(svc.config.INGEST_FLUSH_MS);
    await svc.app.ingestion.buffer.flush().catch(() => {});
    expect(svc.app.ingestion.buffer.stats().held).toBe(2);
    proxy.refuse(false);
    await clock.advanceAsync(svc.config.INGEST_FLUSH_MS);
    await svc.app.ingestion.buffer.flush();
    expect(await storedOf('t-away')).toEqual(ids);
    expect(svc.app.ingestion.buffer.stats().held).toBe(0);
  });
});
