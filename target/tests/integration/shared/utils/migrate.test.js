'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { useNamespace } = require('../../../support/namespace');
const { createPostgres } = require('../../../../shared/clients/postgres');
const { runMigrations } = require('../../../../shared/utils/migrate');
const { loadConfig } = require('../../../../shared/utils/config');

const FIXTURES = path.join(__dirname, 'fixtures', 'migrations-12');

function copyFixtures() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dn-migrations-'));
  for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  return dir;
}

describe('runMigrations on real databases', () => {
  const ns = useNamespace({ rabbit: false });
  let pg;
  const tmpDirs = [];

  beforeAll(() => {
    pg = createPostgres(loadConfig(ns.env));
  });
  afterAll(async () => {
    await pg.close();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('applies files 1..12 in numeric order on an empty database, FK from 10_ to 2_ included', async () => {
    const applied = await runMigrations(pg.pool('pipeline'), FIXTURES);
    expect(applied).toEqual([
      '1_pipelines.sql',
      '2_tenants.sql',
      '3_sources.sql',
      '4_events.sql',
      '5_sinks.sql',
      '6_runs.sql',
      '7_run_status_check.sql',
      '8_outbox.sql',
      '9_seed_pipeline.sql',
      '10_rollups.sql',
      '11_tenant_seed.sql',
      '12_rollup_view.sql',
    ]);
    const { rows } = await pg.query('pipeline', 'SELECT name FROM schema_migrations ORDER BY applied_at, name');
    expect(rows).toHaveLength(12);
    await pg.query('pipeline', "INSERT INTO rollups VALUES ('t1', now(), 5)");
    await expect(pg.query('pipeline', "INSERT INTO rollups VALUES ('nope', now(), 5)")).rejects.toThrow(/foreign key/);
    expect(await runMigrations(pg.pool('pipeline'), FIXTURES)).toEqual([]);
  });

  test('refuses to continue when an applied file has changed', async () => {
    const dir = copyFixtures();
    tmpDirs.push(dir);
    await runMigrations(pg.pool('users'), dir);
    fs.appendFileSync(path.join(dir, '3_sources.sql'), '\n-- edited\n');
    fs.writeFileSync(path.join(dir, '13_more.sql'), 'CREATE TABLE more (x int);');
    await expect(runMigrations(pg.pool('users'), dir)).rejects.toMatchObject({
      code: 'DN_MIGRATION_CHECKSUM',
      details: expect.objectContaining({ file: '3_sources.sql' }),
    });
    const { rows } = await pg.query('users', "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'more'");
    expect(rows[0].n).toBe(0);
  });

  test('a failing file is rolled back, not recorded, and the earlier ones stay applied', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dn-migrations-'));
    tmpDirs.push(dir);
    fs.writeFileSync(path.join(dir, '1_a.sql'), 'CREATE TABLE a (x int);');
    fs.writeFileSync(path.join(dir, '2_b.sql'), 'CREATE TABLE b (x int); INSERT INTO missing_table VALUES (1);');
    await expect(runMigrations(pg.pool('metrics'), dir, { table: 'migrations_log' })).rejects.toMatchObject({
      code: 'DN_MIGRATION_FAILED',
      details: { file: '2_b.sql' },
    });
    const { rows } = await pg.query(
      'metrics',
      "SELECT (SELECT count(*)::int FROM pg_tables WHERE tablename IN ('a', 'b')) AS tables, (SELECT array_agg(name) FROM migrations_log) AS names",
    );
    expect(rows[0]).toEqual({ tables: 1, names: ['1_a.sql'] });
  });

  test('concurrent runners apply every file exactly once', async () => {
    const results = await Promise.all([
      runMigrations(pg.pool('billing'), FIXTURES),
      runMigrations(pg.pool('billing'), FIXTURES),
      runMigrations(pg.pool('billing'), FIXTURES),
    ]);
    expect(results.flat()).toHaveLength(12);
    const { rows } = await pg.query('billing', 'SELECT count(*)::int AS n FROM pipelines');
    expect(rows[0].n).toBe(1);
  });
});
