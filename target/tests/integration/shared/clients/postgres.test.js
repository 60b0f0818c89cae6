'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createPostgres, DATABASES } = require('../../../../shared/clients/postgres');
const { loadConfig } = require('../../../../shared/utils/config');

describe('postgres client against the four namespace databases', () => {
  const ns = useNamespace({ rabbit: false });
  let pg;

  beforeAll(() => {
    pg = createPostgres(loadConfig(ns.env));
  });
  afterAll(async () => {
    await pg.close();
  });

  test('routes each database name to its own database', async () => {
    for (const db of DATABASES) {
      const { rows } = await pg.query(db, 'SELECT current_database() AS name');
      expect(rows[0].name).toBe(`${ns.id}_${db}`);
    }
    await pg.query('metrics', 'CREATE TABLE only_in_metrics (x int)');
    for (const db of DATABASES) {
      const { rows } = await pg.query(db, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_metrics'");
      expect(rows[0].n).toBe(db === 'metrics' ? 1 : 0);
    }
  });

  test('a database whose URL is missing fails instead of falling back', async () => {
    const partial = createPostgres(loadConfig({ ...ns.env, BILLING_DATABASE_URL: '' }));
    try {
      await expect(partial.query('billing', 'SELECT 1')).rejects.toMatchObject({ code: 'DN_DB_URL_MISSING' });
      const { rows } = await partial.query('users', 'SELECT current_database() AS name');
      expect(rows[0].name).toBe(`${ns.id}_users`);
      expect(partial.stats().billing.poolCreated).toBe(false);
    } finally {
      await partial.close();
    }
  });

  test('returns int8 and numeric as strings, as node-postgres does by default', async () => {
    const { rows } = await pg.query('pipeline', 'SELECT count(*) AS n, 9007199254740993::int8 AS big, 1.10::numeric AS money');
    expect(rows[0]).toEqual({ n: '1', big: '9007199254740993', money: '1.10' });
  });

  test('withTransaction commits on success and rolls back on error', async () => {
    await pg.query('users', 'CREATE TABLE accounts (id int PRIMARY KEY)');
    await pg.withTransaction('users', async (tx) => {
      await tx.query('INSERT INTO accounts VALUES ($1)', [1]);
    });
    await expect(
      pg.withTransaction('users', async (tx) => {
        await tx.query('INSERT INTO accounts VALUES ($1)', [2]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rows } = await pg.query('users', 'SELECT id FROM accounts ORDER BY id');
    expect(rows).toEqual([{ id: 1 }]);
    expect(pg.stats().users.transactions).toBe(2);
  });
});
