import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_NAMESPACE_MODULE, DEFAULT_STATE_DIR, DEFAULT_TARGET_DIR, DEFAULT_MANIFEST_PATH } from '../../environment/src/paths.ts';
import { call, FIXTURE, hasBwrap, reset, stepOk, testApp, type TestEnv } from './helpers.ts';

// Issue 16 through the HTTP API: an episode's commands cannot reach the environment's own API,
// use the servers only as the episode's principal, and leave no session behind once it closes.

type Pg = { connect(): Promise<void>; query(sql: string, params?: unknown[]): Promise<{ rows: { n: number }[] }>; on(e: 'notification', fn: () => void): void; end(): Promise<void> };
const { Client } = createRequire(path.join(FIXTURE.nodeModulesDir, '..', 'package.json'))('pg') as { Client: new (o: { connectionString: string }) => Pg };
const ADMIN_URL = process.env.DN_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(fn: (c: Pg) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const count = (sql: string, param: string) => admin(async (c) => (await c.query(sql, [param])).rows[0]!.n);

describe('an episode under its principal', { skip: hasBwrap ? false : 'bubblewrap is not installed' }, () => {
  let env: TestEnv;
  let port: number;
  before(async () => {
    env = await testApp({ namespaceModule: DEFAULT_NAMESPACE_MODULE, namespaceDatabases: ['users'], namespacePoolSize: 1 });
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    port = (env.app.server.address() as { port: number }).port;
  });
  after(async () => env?.close());

  test('/health reports the isolation in force', async () => {
    const r = await call(env.app, 'GET', '/health');
    assert.deepEqual(r.body.isolation, { network: 'own-namespace', principals: 'per-run' });
  });

  test('cannot reach the environment API, and is refused what a superuser could do', async () => {
    const { episodeId } = await reset(env.app, { task: 'full' });
    const r = await stepOk(env.app, episodeId, {
      type: 'exec',
      command: `node -e "
        const net = require('node:net'); const { Client } = require('pg');
        const s = net.connect(${port}, '127.0.0.1');
        s.on('connect', () => { console.log('api reachable'); s.destroy(); });
        s.on('error', async (e) => {
          console.log('api', e.code);
          const c = new Client({ connectionString: process.env.USERS_DATABASE_URL }); await c.connect();
          console.log((await c.query('SELECT current_user = \\$1 AS own', [process.env.DN_NAMESPACE_PREFIX])).rows[0].own);
          await c.query(\\"SELECT pg_read_file('/etc/hostname')\\").catch((err) => console.log(err.message));
          await c.end();
        });"`,
    });
    assert.equal(r.observation.exitCode, 0, r.observation.stderr);
    assert.equal(r.observation.stdout, 'api ECONNREFUSED\ntrue\npermission denied for function pg_read_file\n');
    await call(env.app, 'DELETE', `/v1/episodes/${episodeId}`);
  });

  test('closing an episode ends its sessions and drops its principal', async () => {
    const { episodeId } = await reset(env.app, { task: 'full' });
    // the agent sees it as dn_principal; the server knows its real name
    const who = await stepOk(env.app, episodeId, { type: 'exec', command: 'echo $DN_NAMESPACE_PREFIX' });
    assert.equal(who.observation.stdout, 'dn_principal\n');
    const principal = env.app.episodeRegistry.get(episodeId).resources!.ns!.principal!;
    assert.match(principal, /^dnp_[0-9a-f]{12}$/);
    // A session held open by a running command; it tells the host it is up with NOTIFY (in the
    // maintenance database, where the host listens: notifications stay within one database).
    const listener = new Client({ connectionString: ADMIN_URL });
    await listener.connect();
    const up = new Promise<void>((resolve) => listener.on('notification', () => resolve()));
    await listener.query(`LISTEN "${principal}_up"`);
    const held = call(env.app, 'POST', '/v1/step', {
      episodeId,
      action: { type: 'exec', timeoutMs: 300_000, command: `node -e "const { Client } = require('pg'); const c = new Client({ connectionString: process.env.DN_PG_ADMIN_URL });
        c.connect().then(() => c.query('NOTIFY \\"${principal}_up\\"')).then(() => c.query('SELECT pg_sleep(600)'))"` },
    });
    try {
      // a refused exec would never notify: fail on its answer instead of waiting forever
      await Promise.race([up, held.then((h) => Promise.reject(new Error(`the exec ended first: ${JSON.stringify(h.body).slice(0, 500)}`)))]);
    } finally {
      await listener.end();
    }
    assert.equal(await count('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', principal), 1);
    assert.equal((await call(env.app, 'DELETE', `/v1/episodes/${episodeId}`)).status, 200);
    await held;
    await env.app.episodes.settled();
    assert.equal(await count('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', principal), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', principal), 0);
    assert.equal(await count("SELECT count(*)::int AS n FROM pg_database WHERE starts_with(datname, $1 || '_')", principal), 0);
  });
});

// The target's own harness inside an episode: databases, a Redis prefix and a vhost per test file,
// all within the principal's allowance. Resetting on the real target runs its baseline (the whole
// suite, a minute or more uncached), so this runs only when asked, like real-target.test.ts.
const realTarget = process.env.DN_ENV_REAL_TARGET === '1';
describe('the real target harness in an episode', { skip: !hasBwrap ? 'bubblewrap is not installed' : realTarget ? false : 'set DN_ENV_REAL_TARGET=1 (runs the real suite once)' }, () => {
  let env: TestEnv;
  before(async () => {
    env = await testApp({
      targetDir: DEFAULT_TARGET_DIR, manifestPath: DEFAULT_MANIFEST_PATH, nodeModulesDir: path.join(DEFAULT_TARGET_DIR, 'node_modules'),
      cacheDir: path.join(DEFAULT_STATE_DIR, 'cache'), namespaceModule: DEFAULT_NAMESPACE_MODULE, namespacePoolSize: 1,
    });
  });
  after(async () => env?.close());

  test('run_tests passes a harness test file that creates databases, a prefix and a vhost', async () => {
    const { episodeId } = await reset(env.app, { task: 'full' });
    // harness files only: a seeded bug cannot fail them (topology.test.js, say, fails on task full)
    const files = ['tests/integration/harness/namespace.test.js', 'tests/integration/support/namespace-sweep.test.js'];
    const r = await stepOk(env.app, episodeId, { type: 'run_tests', files });
    assert.equal(r.observation.ok, true, JSON.stringify(r.observation).slice(0, 2000));
    assert.equal(r.observation.counts.failed, 0, JSON.stringify(r.observation.failures ?? r.observation).slice(0, 2000));
    assert.ok(r.observation.counts.passed >= 5);
    await call(env.app, 'DELETE', `/v1/episodes/${episodeId}`);
  });
});
