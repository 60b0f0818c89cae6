import assert from 'node:assert/strict';
import { writeFile, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveOptions } from '../../environment/src/options.ts';
import { Principals, type PrincipalHandle } from '../../environment/src/principals/index.ts';
import { listNetns } from '../../environment/src/sandbox/net/netns.ts';
import { createSandbox } from '../../environment/src/sandbox/index.ts';
import type { SandboxBackend, UidLease } from '../../environment/src/sandbox/types.ts';
import { FIXTURE, hasBwrap, tempDir } from './fixtures.ts';

const { Client: PgClient } = createRequire(path.join(FIXTURE.nodeModulesDir, '..', 'package.json'))('pg') as {
  Client: new (o: { connectionString: string }) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; on(e: 'notification', fn: () => void): void; end(): Promise<void> };
};

// Issue 16, classes 1, 2, 6, 7: what code in a sandbox can reach. Every probe runs as a real
// sandboxed process against the real servers; each assertion is one that passed before the
// defence (shared network, superuser URLs) and must now be refused.

const MB = 1024 * 1024;
const limits = { processMemoryBytes: 512 * MB, totalMemoryBytes: 1024 * MB, maxProcesses: 256, workspaceBytes: 64 * MB };

/** A node script run in the sandbox: prints one JSON object of named outcomes ('ERR …' for a refusal). */
const PROBE = `'use strict';
const { Client } = require('pg');
const Redis = require('ioredis');
const amqp = require('amqplib');
const net = require('node:net');
const out = {};
const t = async (k, fn) => { try { out[k] = await fn(); } catch (e) { out[k] = 'ERR ' + e.message; } };
const pg = async (url, sql) => { const c = new Client({ connectionString: url }); await c.connect(); try { return sql ? (await c.query(sql)).rows : 'connected'; } finally { await c.end(); } };
const tcp = (port) => new Promise((resolve) => { const s = net.connect(port, '127.0.0.1'); s.on('connect', () => { s.destroy(); resolve('connected'); }); s.on('error', (e) => resolve('ERR ' + e.code)); });
const P = process.env.DN_NAMESPACE_PREFIX;
const A = process.env.DN_PG_ADMIN_URL;
const withDb = (db) => A.replace(/\\/postgres$/, '/' + db);
const mg = process.env.DN_RABBIT_MANAGEMENT_URL ? new URL(process.env.DN_RABBIT_MANAGEMENT_URL) : null;
const api = (m, p, body) => fetch('http://127.0.0.1:15672/api/' + p, { method: m, headers: { authorization: 'Basic ' + Buffer.from(mg.username + ':' + mg.password).toString('base64'), 'content-type': 'application/json' }, body: body && JSON.stringify(body) }).then((r) => r.status);
const amqpAs = async (url) => { const c = await amqp.connect(url); try { const ch = await c.createChannel(); await ch.assertQueue('q'); return 'ok'; } finally { await c.close().catch(() => {}); } };
(async () => {
  for (const port of JSON.parse(process.env.PROBE_PORTS)) await t('tcp ' + port, () => tcp(port));
  if (!P) return;
  await t('read file', () => pg(A, "SELECT pg_read_file('/etc/hostname')"));
  await t('ls dir', () => pg(A, "SELECT pg_ls_dir('/')"));
  await t('copy to program', () => pg(A, "COPY (SELECT 1) TO PROGRAM 'id'"));
  await t('as postgres', () => pg(A.replace(/\\/\\/[^@]*@/, '//postgres@')));
  await t('template1', () => pg(withDb('template1')));
  await t('other db', () => pg(withDb(process.env.OTHER + '_db')));
  await t('own db', async () => { await pg(A, 'CREATE DATABASE "' + P + '_db"'); await pg(withDb(P + '_db'), 'CREATE TABLE t (x int)'); return 'ok'; });
  await t('copy other db', () => pg(A, 'CREATE DATABASE "' + P + '_copy" TEMPLATE "' + process.env.OTHER + '_db"'));
  const r = new Redis(process.env.DN_REDIS_URL, { maxRetriesPerRequest: 1 });
  await t('redis own', async () => { await r.set(P + '_x:k', 'v'); return r.get(P + '_x:k'); });
  await t('redis other', () => r.get(process.env.OTHER + '_x:k'));
  await t('redis registry', () => r.hgetall('datanexus:namespaces'));
  await t('redis auth', () => r.call('AUTH', 'default', 'x'));
  await t('redis hello auth', () => r.call('HELLO', '2', 'AUTH', 'default', 'x'));
  await t('redis reset', () => r.call('RESET'));
  await t('redis whoami', () => r.call('ACL', 'WHOAMI'));
  await t('redis flushall', () => r.flushall());
  r.disconnect();
  const au = new URL(process.env.DN_AMQP_URL);
  await t('mgmt own vhost', () => api('PUT', 'vhosts/' + P + '_v'));
  await t('mgmt other vhost', () => api('PUT', 'vhosts/' + process.env.OTHER + '_v'));
  await t('mgmt grant guest', () => api('PUT', 'permissions/' + P + '_v/guest', { configure: '.*', write: '.*', read: '.*' }));
  await t('mgmt users', () => api('GET', 'users'));
  await t('amqp own', () => amqpAs('amqp://' + au.username + ':' + au.password + '@127.0.0.1:5672/' + P + '_v'));
  await t('amqp guest', () => amqpAs('amqp://guest:guest@127.0.0.1:5672/'));
  await t('amqp other vhost', () => amqpAs('amqp://' + au.username + ':' + au.password + '@127.0.0.1:5672/' + process.env.OTHER + '_v'));
})().then(() => console.log(JSON.stringify(out)), (e) => { console.error(e); process.exit(1); });
`;

describe('a sandbox under a principal', { skip: hasBwrap ? false : 'bubblewrap is not installed' }, () => {
  let sb: SandboxBackend;
  let stateDir: string;
  let ws: string;
  let lease: UidLease | null;
  let principals: Principals;
  let a: PrincipalHandle;
  let b: PrincipalHandle;
  let hostServer: net.Server;
  let hostPort: number;

  let underA: Promise<Record<string, unknown>> | undefined;
  /** The probe as principal a, run once and shared by the tests that read it. */
  const probeA = (): Promise<Record<string, unknown>> => (underA ??= probe(a.env));
  const probe = async (env: Record<string, string>, mounts = [a.mount]): Promise<Record<string, unknown>> => {
    const r = await sb.run({
      command: 'node', args: ['probe.cjs'], root: ws, env: { ...env, OTHER: b.name, PROBE_PORTS: JSON.stringify([hostPort, 5432, 6379]) },
      timeoutMs: 60_000, maxOutputBytes: 1024 * 1024, nodeModules: FIXTURE.nodeModulesDir, mounts, ...(lease ? { uid: lease.uid } : {}),
    });
    assert.equal(r.exitCode, 0, r.stderr.text);
    return JSON.parse(r.stdout.text) as Record<string, unknown>;
  };

  before(async () => {
    stateDir = await tempDir('dn-iso-state-');
    ws = await tempDir('dn-iso-ws-');
    await writeFile(path.join(ws, 'probe.cjs'), PROBE);
    sb = createSandbox(resolveOptions({ sandbox: 'bwrap', stateDir, limits }));
    await sb.check();
    lease = sb.leaseUid();
    await sb.prepareWorkspace(ws, lease?.uid ?? null);
    principals = new Principals({}, FIXTURE.nodeModulesDir);
    [a, b] = await Promise.all([principals.create(), principals.create()]);
    // Something of b's for a to reach for: a database, a key, a vhost.
    await principals.admin.pg((c) => c.query(`CREATE DATABASE "${b.name}_db" OWNER "${b.name}"`));
    await principals.admin.redis((r) => r.call('SET', `${b.name}_x:k`, 'secret'));
    await principals.admin.rabbit('PUT', `vhosts/${b.name}_v`);
    // A host service on loopback, standing for the environment API or anything else of the host's.
    hostServer = net.createServer((s) => s.end('host\n'));
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    hostPort = (hostServer.address() as net.AddressInfo).port;
  });
  after(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    await principals?.close();
    hostServer?.close();
    lease?.release();
    await sb?.close();
    await rm(ws, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  test('reaches no host port: a sandbox without a principal has no server at all', async () => {
    const out = await probe({}, []);
    assert.deepEqual(out, { [`tcp ${hostPort}`]: 'ERR ECONNREFUSED', 'tcp 5432': 'ERR ECONNREFUSED', 'tcp 6379': 'ERR ECONNREFUSED' });
  });

  test('PostgreSQL: no server files, no programs, only its own role and databases', async () => {
    const out = await probeA();
    assert.equal(out[`tcp ${hostPort}`], 'ERR ECONNREFUSED', 'a host port other than the servers is reachable');
    assert.equal(out['tcp 5432'], 'connected');
    assert.match(String(out['read file']), /^ERR permission denied for function pg_read_file/);
    assert.match(String(out['ls dir']), /^ERR permission denied for function pg_ls_dir/);
    assert.match(String(out['copy to program']), /^ERR must be superuser or have privileges of the pg_execute_server_program role/);
    assert.match(String(out['as postgres']), /^ERR role "postgres" is not available in this sandbox/);
    assert.match(String(out.template1), /^ERR database "template1" is not available in this sandbox/);
    assert.match(String(out['other db']), new RegExp(`^ERR database "${b.name}_db" is not available in this sandbox`));
    assert.equal(out['own db'], 'ok');
    assert.match(String(out['copy other db']), new RegExp(`^ERR permission denied to copy database "${b.name}_db"`));
  });

  test('Redis: only its own prefix, no way to log in as anyone else, no server-wide commands', async () => {
    const out = await probeA();
    assert.equal(out['redis own'], 'v');
    assert.match(String(out['redis other']), /^ERR NOPERM/);
    assert.match(String(out['redis registry']), /^ERR NOPERM/);
    for (const k of ['redis auth', 'redis hello auth', 'redis reset']) assert.match(String(out[k]), /unknown command 'REFUSED-IN-SANDBOX-/, k);
    assert.equal(out['redis whoami'], a.name);
    assert.match(String(out['redis flushall']), /^ERR NOPERM/);
  });

  test('RabbitMQ: only its own vhosts, guest refused, management limited to creating its vhosts', async () => {
    const out = await probeA();
    assert.equal(out['mgmt own vhost'], 201, 'creating its own vhost');
    assert.equal(out['mgmt other vhost'], 403);
    assert.equal(out['mgmt grant guest'], 403);
    assert.equal(out['mgmt users'], 401);
    assert.equal(out['amqp own'], 'ok');
    assert.match(String(out['amqp guest']), /ACCESS_REFUSED - user "guest" is not available in this sandbox/);
    assert.match(String(out['amqp other vhost']), /ConnectionClose|NOT_ALLOWED|access to vhost/i);
  });

  test('destroying a principal ends its sessions and drops all it made', async () => {
    const c = await principals.create();
    const channel = `${c.name}_up`;
    // The sandbox's session announces itself with NOTIFY; the host waits for that event.
    const listener = new PgClient({ connectionString: principals.admin.urls.postgres });
    await listener.connect();
    const up = new Promise<void>((resolve) => listener.on('notification', () => resolve()));
    await listener.query(`LISTEN "${channel}"`);
    const held = sb.run({
      command: 'node', args: ['-e', `const { Client } = require('pg'); const c = new Client({ connectionString: process.env.DN_PG_ADMIN_URL });
        c.connect().then(() => c.query('NOTIFY "${channel}"')).then(() => c.query('SELECT pg_sleep(600)')).catch(() => process.exit(3));`],
      root: ws, env: c.env, timeoutMs: 120_000, maxOutputBytes: 4096, nodeModules: FIXTURE.nodeModulesDir, mounts: [c.mount], ...(lease ? { uid: lease.uid } : {}),
    });
    try {
      await up;
    } finally {
      await listener.end();
    }
    const count = (sql: string) => principals.admin.pg(async (q) => (await q.query(sql, [c.name])).rows[0]!.n);
    assert.equal(await count('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1'), 1);
    await c.destroy();
    const r = await held;
    assert.equal(r.timedOut, false, 'the sandboxed session outlived its principal');
    assert.notEqual(r.exitCode, 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1'), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1'), 0);
    const acl = (await principals.admin.redis((r) => r.call('ACL', 'USERS'))) as string[];
    assert.equal(acl.includes(c.name), false);
    assert.equal((await listNetns()).includes(c.name), false, 'its network namespace is gone');
  });

  test('a principal created while the sweep lists users is not taken for an orphan', async () => {
    const admin = principals.admin;
    const realRedis = admin.redis.bind(admin);
    let created: Awaited<ReturnType<typeof principals.create>> | undefined;
    let first = true;
    // the race a server's start-up sweep ran into: a principal is made in the middle of the sweep
    // (its first Redis call; the creation's own Redis calls go straight through)
    admin.redis = (async (fn: Parameters<typeof admin.redis>[0]) => {
      if (first) {
        first = false;
        created = await principals.create();
      }
      return realRedis(fn);
    }) as typeof admin.redis;
    try {
      const swept = await principals.sweep();
      assert.ok(created, 'the principal was created during the sweep');
      assert.ok(!swept.includes(created.name), `the new principal ${created.name} was swept`);
      const acl = (await realRedis((r) => r.call('ACL', 'USERS'))) as string[];
      assert.ok(acl.includes(created.name));
    } finally {
      admin.redis = realRedis;
      await created?.destroy();
    }
  });

  test('the sweep drops principals of a server that died and users left without a role', async () => {
    const orphaned = await principals.create();
    const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
    await principals.admin.pg((c) => c.query(`COMMENT ON ROLE "${orphaned.name}" IS '${JSON.stringify({ ownerPid: deadPid, ownerHost: os.hostname(), createdAt: 0 })}'`));
    const stray = `dnp_${'0'.repeat(11)}1`;
    await principals.admin.redis((r) => r.call('ACL', 'SETUSER', stray, 'on', '>x'));
    const swept = await principals.sweep();
    assert.ok(swept.includes(orphaned.name), `swept ${swept.join(', ')}`);
    assert.ok(swept.includes(stray));
    assert.ok(!swept.includes(a.name) && !swept.includes(b.name), 'a live principal was swept');
    const acl = (await principals.admin.redis((r) => r.call('ACL', 'USERS'))) as string[];
    assert.equal(acl.includes(stray) || acl.includes(orphaned.name), false);
    await orphaned.destroy();
  });
});
