'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createPostgres } = require('../../../../shared/clients/postgres');
const { loadConfig } = require('../../../../shared/utils/config');

describe('postgres pool reuse', () => {
  const ns = useNamespace({ databases: ['pipeline', 'metrics'], rabbit: false });
  let pg;

  beforeAll(() => {
    pg = createPostgres(loadConfig(ns.env), { poolOptions: { max: 3 } });
  });
  afterAll(async () => {
    await pg.close();
  });

  test('sequential queries share one connection', async () => {
    for (let i = 0; i < 50; i++) await pg.query('pipeline', 'SELECT $1::int AS i', [i]);
    expect(pg.stats().pipeline).toMatchObject({ queries: 50, connectionsOpened: 1, totalCount: 1 });
  });

  test('concurrent queries never open more connections than the pool maximum', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => pg.query('metrics', 'SELECT $1::int AS i', [i])));
    expect(results.map((r) => r.rows[0].i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(pg.stats().metrics).toMatchObject({ queries: 30, connectionsOpened: 3 });
  });

  test('transactions reuse pooled connections and pools exist only for databases in use', async () => {
    const before = pg.stats().pipeline.connectionsOpened;
    for (let i = 0; i < 10; i++) {
      await pg.withTransaction('pipeline', (tx) => tx.query('SELECT 1'));
    }
    const stats = pg.stats();
    expect(stats.pipeline.connectionsOpened).toBe(before);
    expect(stats.pipeline.transactions).toBe(10);
    expect(stats.users.poolCreated).toBe(false);
    expect(stats.billing.poolCreated).toBe(false);
  });
});
