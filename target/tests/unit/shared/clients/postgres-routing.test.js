'use strict';

const { createPostgres, DATABASES } = require('../../../../shared/clients/postgres');
const { loadConfig } = require('../../../../shared/utils/config');

// Routing decisions are made before any connection is opened, so these run without a server.
describe('postgres routing', () => {
  const config = loadConfig({ LOG_LEVEL: 'silent', PIPELINE_DATABASE_URL: 'postgres://127.0.0.1:1/p' });

  test('knows exactly the four databases', () => {
    expect(DATABASES).toEqual(['pipeline', 'users', 'metrics', 'billing']);
  });

  test('refuses an unknown database name', async () => {
    const pg = createPostgres(config);
    await expect(pg.query('timeseries', 'SELECT 1')).rejects.toMatchObject({ code: 'DN_DB_UNKNOWN', details: { db: 'timeseries' } });
    expect(() => pg.pool('__proto__')).toThrow(expect.objectContaining({ code: 'DN_DB_UNKNOWN' }));
    await pg.close();
  });

  test('refuses a database whose URL is not configured instead of using another one', async () => {
    const pg = createPostgres(config);
    for (const db of ['users', 'metrics', 'billing']) {
      await expect(pg.query(db, 'SELECT 1')).rejects.toMatchObject({ code: 'DN_DB_URL_MISSING', details: { db } });
      expect(() => pg.urlFor(db)).toThrow(new RegExp(`${db.toUpperCase()}_DATABASE_URL`));
    }
    expect(pg.urlFor('pipeline')).toBe('postgres://127.0.0.1:1/p');
    expect(pg.stats().metrics).toMatchObject({ queries: 0, poolCreated: false });
    await pg.close();
  });
});
