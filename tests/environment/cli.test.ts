import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { EnvClient } from '../../environment/src/client/client.ts';
import { FIXTURE, REPO, tempDir } from './helpers.ts';

const BIN = path.join(REPO, 'environment', 'bin', 'datanexus-env.js');
const run = promisify(execFile);

let stateDir: string;
before(async () => {
  stateDir = await tempDir('dn-env-cli-');
});
after(async () => rm(stateDir, { recursive: true, force: true }));

function markerProcesses(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(marker) && !l.startsWith('ps '));
}

async function databasesOf(namespace: string): Promise<string[]> {
  interface PgClient {
    connect(): Promise<void>;
    query(sql: string, values: unknown[]): Promise<{ rows: Array<{ datname: string }> }>;
    end(): Promise<void>;
  }
  // the target's own pg client: the gym packages do not depend on it
  const { Client } = createRequire(path.join(REPO, 'target', 'package.json'))('pg') as { Client: new (o: { connectionString: string }) => PgClient };
  const c = new Client({ connectionString: process.env.DN_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres' });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${namespace}\\_%`]);
    return rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

interface Served {
  child: ReturnType<typeof spawn>;
  url: string;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

async function serve(dir: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--target', FIXTURE.targetDir, '--manifest', FIXTURE.manifestPath,
    '--node-modules', FIXTURE.nodeModulesDir, '--state-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(String(entry.msg));
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`server exited early (${code})`)));
  });
  return { child, url, logs, exited };
}

/** The namespace the server logged for `episodeId`'s reset (the log line may trail the response). */
async function namespaceOf(served: Served, episodeId: string): Promise<string> {
  const isReset = (l: Record<string, unknown>) => l.event === 'reset' && l.episodeId === episodeId;
  for (let i = 0; i < 100 && !served.logs.some(isReset); i += 1) await new Promise((r) => setTimeout(r, 50));
  return String(served.logs.find(isReset)!.namespace);
}

test('serve boots, logs JSON, and SIGTERM kills sandboxes, drops namespaces and removes workspaces', async () => {
  const served = await serve(stateDir);
  const { child, logs, exited } = served;
  try {
    const client = new EnvClient(served.url);
    assert.equal((await client.health()).sandbox.kind, 'bwrap');
    const { episodeId } = await client.reset({ task: 'full' });
    const namespace = await namespaceOf(served, episodeId);
    assert.match(namespace, /^dnp?_/); // dnp_<principal>_ep when the sandbox isolates the network
    assert.ok((await databasesOf(namespace)).length > 0);

    const marker = `dn-cli-long-${process.pid}`;
    const pending = client.step(episodeId, { type: 'exec', command: `exec -a ${marker} sleep 600`, timeoutMs: 120_000 }).catch((e: unknown) => e);
    for (let i = 0; i < 100 && markerProcesses(marker).length === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    assert.ok(markerProcesses(marker).length > 0, 'the long command runs');

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await pending;
    assert.deepEqual(markerProcesses(marker), []);
    assert.deepEqual(await databasesOf(namespace), []);
    assert.equal(existsSync(path.join(stateDir, 'workspaces', 'episodes', episodeId)), false);
    assert.ok(logs.some((l) => l.event === 'shutdown' && l.episodeId === episodeId));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  const out = path.join(stateDir, 'trajectories.jsonl');
  const { stdout } = await run(process.execPath, [BIN, 'export', '--db', path.join(stateDir, 'trajectories.sqlite'), '--out', out, '--json']);
  assert.equal(JSON.parse(stdout).episodes, 1);
  const [line] = readFileSync(out, 'utf8').trim().split('\n');
  const ep = JSON.parse(line!);
  assert.equal(ep.status, 'shutdown');
  assert.equal(ep.task, 'full');
});

test('a server started after one was SIGKILLed drops the namespaces the dead one owned', async () => {
  const dir = await tempDir('dn-env-cli-kill-');
  let first: Served | undefined;
  let second: Served | undefined;
  try {
    first = await serve(dir);
    const { episodeId } = await new EnvClient(first.url).reset({ task: 'full' });
    const namespace = await namespaceOf(first, episodeId);
    first.child.kill('SIGKILL');
    await first.exited;
    assert.ok((await databasesOf(namespace)).length > 0, 'a killed server cannot drop its namespaces');

    second = await serve(dir);
    const swept = (l: Record<string, unknown>) => l.msg === 'swept abandoned namespaces' && (l.dropped as string[]).includes(namespace);
    for (let i = 0; i < 400 && !second.logs.some(swept); i += 1) await new Promise((r) => setTimeout(r, 50));
    assert.ok(second.logs.some(swept), 'the new server logs the sweep');
    assert.deepEqual(await databasesOf(namespace), []);
  } finally {
    for (const s of [first, second]) if (s && s.child.exitCode === null) s.child.kill('SIGTERM');
    if (second) await second.exited;
    await rm(dir, { recursive: true, force: true });
  }
});

test('a bad option exits 2 with the error code', async () => {
  await assert.rejects(run(process.execPath, [BIN, 'serve', '--sandbox', 'chroot', '--json']), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 2);
    assert.equal(JSON.parse(err.stderr!).error.code, 'ENV_ERR_INVALID_OPTION');
    return true;
  });
});
