'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { useNamespace } = require('../../../support/namespace');
const { createPostgres } = require('../../../../shared/clients/postgres');
const { runMigrations } = require('../../../../shared/utils/migrate');
const { loadConfig } = require('../../../../shared/utils/config');

const FIXTURES = path.join(__dirname, '../../../integration/shared/utils/fixtures/migrations-12');
const DDL = /^\s*(CREATE|ALTER|DROP|TRUNCATE|COMMENT)\b/i;

// Wraps a pg.Pool so every statement sent by the migrator is recorded.
function recordingPool(pool, statements) {
  return {
    async connect() {
      const client = await pool.connect();
      return {
        query(sql, params) {
          statements.push(typeof sql === 'string' ? sql : sql.text);
          return client.query(sql, params);
        },
        release: (err) => client.release(err),
      };
    },
  };
}

describe('migration runner query budget', () => {
  const ns = useNamespace({ databases: ['pipeline'], rabbit: false });
  let pg;
  let dir;

  beforeAll(() => {
    pg = createPostgres(loadConfig(ns.env));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dn-perf-migrations-'));
    for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  });
  afterAll(async () => {
    await pg.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('first run: one transaction of four statements per file plus a fixed overhead', async () => {
    const statements = [];
    const applied = await runMigrations(recordingPool(pg.pool('pipeline'), statements), dir);
    expect(applied).toHaveLength(12);
    // lock, table check, create table, read applied, 12 x (BEGIN, file, INSERT, COMMIT), unlock
    expect(statements).toHaveLength(5 + 12 * 4);
  });

  test('a second run on an up-to-date database issues no DDL and only four statements', async () => {
    const statements = [];
    expect(await runMigrations(recordingPool(pg.pool('pipeline'), statements), dir)).toEqual([]);
    expect(statements.filter((s) => DDL.test(s))).toEqual([]);
    expect(statements).toHaveLength(4);
  });

  test('a run with one new file sends exactly that file once', async () => {
    fs.writeFileSync(path.join(dir, '13_extra.sql'), 'CREATE TABLE extra (x int);');
    const statements = [];
    expect(await runMigrations(recordingPool(pg.pool('pipeline'), statements), dir)).toEqual(['13_extra.sql']);
    expect(statements.filter((s) => DDL.test(s))).toEqual(['CREATE TABLE extra (x int);']);
    expect(statements).toHaveLength(4 + 4);
  });
});
