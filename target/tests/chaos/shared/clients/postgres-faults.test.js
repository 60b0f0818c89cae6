'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { waitForEvent } = require('../../../support/wait-for');
const { promiseState } = require('../../../support/deferred');
const { createPostgres } = require('../../../../shared/clients/postgres');
const { loadConfig } = require('../../../../shared/utils/config');

describe('postgres client behind a fault proxy', () => {
  const ns = useNamespace({ databases: ['pipeline'], rabbit: false });
  let proxy;
  let pg;

  beforeAll(async () => {
    const real = new URL(ns.env.PIPELINE_DATABASE_URL);
    proxy = await createFaultProxy({ host: real.hostname, port: Number(real.port || 5432) });
    pg = createPostgres(loadConfig({ ...ns.env, PIPELINE_DATABASE_URL: proxy.url(ns.env.PIPELINE_DATABASE_URL) }));
  });
  afterAll(async () => {
    await pg.close();
    await proxy.close();
  });

  test('a query after a connection cut runs on a fresh pooled connection', async () => {
    await pg.query('pipeline', 'SELECT 1');
    expect(pg.stats().pipeline).toMatchObject({ connectionsOpened: 1, idleCount: 1 });
    const lost = waitForEvent(pg, 'pool-error');
    expect(proxy.cut()).toBe(1);
    expect(await lost).toMatchObject({ db: 'pipeline', err: expect.any(Error) });
    const { rows } = await pg.query('pipeline', 'SELECT 2 AS n');
    expect(rows).toEqual([{ n: 2 }]);
    expect(pg.stats().pipeline).toMatchObject({ connectionsOpened: 2, totalCount: 1 });
  });

  test('a query issued during a stall waits, then completes when the network resumes', async () => {
    await pg.query('pipeline', 'SELECT 1');
    proxy.stall(true);
    const held = waitForEvent(proxy, 'held', { filter: (e) => e.direction === 'up' });
    const query = pg.query('pipeline', 'SELECT 42 AS n');
    await held;
    expect(await promiseState(query)).toBe('pending');
    proxy.stall(false);
    expect((await query).rows).toEqual([{ n: 42 }]);
  });

  test('refused connections fail the query; the pool recovers once the server is reachable', async () => {
    const lost = waitForEvent(pg, 'pool-error');
    proxy.refuse(true);
    proxy.cut();
    await lost;
    await expect(pg.query('pipeline', 'SELECT 1')).rejects.toThrow(/terminated|closed|ECONNRESET/i);
    proxy.refuse(false);
    proxy.dropNext(1);
    await expect(pg.query('pipeline', 'SELECT 1')).rejects.toThrow(/terminated|closed|ECONNRESET/i);
    const { rows } = await pg.query('pipeline', 'SELECT 3 AS n');
    expect(rows).toEqual([{ n: 3 }]);
  });
});
