import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { activeBugs, loadManifest } from '@datanexus/grader';
import { DEFAULT_MANIFEST_PATH, DEFAULT_NAMESPACE_MODULE, DEFAULT_TARGET_DIR } from '../../environment/src/paths.ts';
import { resolveOptions } from '../../environment/src/options.ts';
import { createSandbox } from '../../environment/src/sandbox/index.ts';
import { call, FIXTURE, fix, hasBwrap, reset, stepOk, tempDir, testApp, type TestEnv } from './helpers.ts';

// Done-means of the container backend, through the HTTP API: the same actions on the same bug task
// give the same reward, and the same per-test grade, under bubblewrap and in containers. Each
// server has its own cache directory and no grade cache, so neither grade is the other's.

const KINDS = ['bwrap', 'docker'] as const;
type Kind = (typeof KINDS)[number];

async function containersUnavailable(): Promise<string | false> {
  const stateDir = await tempDir('dn-ctr-probe-');
  const sb = createSandbox(resolveOptions({ sandbox: 'docker', stateDir }));
  try {
    await sb.check();
    return false;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  } finally {
    await sb.close();
  }
}
const unavailable = !hasBwrap ? 'bubblewrap is not installed' : await containersUnavailable();
const skip = unavailable && process.env.DN_REQUIRE_CONTAINERS !== '1' ? unavailable : false;
const wrongFix = readFileSync(path.join(path.dirname(FIXTURE.manifestPath), 'wrong-fixes', 'R1-1.patch'), 'utf8');

interface Played {
  before: number;
  exec: string;
  reward: number;
  outcome: string;
  bugs: unknown;
  summary: unknown;
  categories: unknown;
}

/** reset a bug task, look around, patch, submit: the actions an agent takes. */
async function play(app: FastifyInstance, diff: string, task = 'bug:R1', look = 'pwd; ls src; node -e "console.log(require(\'./src/retry.js\').retry.length)"'): Promise<Played> {
  const { episodeId } = await reset(app, { task });
  const before = await call(app, 'POST', '/v1/reward', { episodeId });
  assert.equal(before.status, 200, JSON.stringify(before.body));
  const exec = await stepOk(app, episodeId, { type: 'exec', command: look });
  assert.equal(exec.observation.exitCode, 0, exec.observation.stderr);
  const patch = await stepOk(app, episodeId, { type: 'patch', diff });
  assert.equal(patch.observation.ok, true, JSON.stringify(patch.observation));
  const done = await stepOk(app, episodeId, { type: 'submit' });
  assert.equal(done.terminated, true);
  const { grade, bugs, summary } = done.info.grade;
  return { before: before.body.report.grade.reward, exec: exec.observation.stdout, reward: done.reward, outcome: grade.outcome, bugs, summary, categories: grade.categories };
}

/** One server per backend, each with its own caches (neither grade is the other's). */
async function servers(envs: Map<Kind, TestEnv>, overrides: Parameters<typeof testApp>[0] = {}): Promise<void> {
  if (unavailable) throw new Error(unavailable);
  for (const kind of KINDS) {
    envs.set(kind, await testApp({
      sandbox: kind, cacheDir: await tempDir(`dn-ctr-cache-${kind}-`), gradeCache: false,
      // separate uid ranges: both servers lease uids at once in this process
      uidBase: kind === 'docker' ? 440_000 : 420_000,
      namespaceModule: DEFAULT_NAMESPACE_MODULE, namespaceDatabases: ['users'], namespacePoolSize: 1,
      ...overrides,
    }));
  }
}

describe('the same episode under bubblewrap and in containers', { skip }, () => {
  const envs = new Map<Kind, TestEnv>();
  before(() => servers(envs));
  after(async () => {
    for (const env of envs.values()) await env.close();
  });

  test('both run every command as the episode\'s principal in its own network', async () => {
    for (const kind of KINDS) {
      const health = await call(envs.get(kind)!.app, 'GET', '/health');
      assert.equal(health.body.sandbox.kind, kind);
      assert.deepEqual(health.body.isolation, { network: 'own-namespace', principals: 'per-run' });
    }
  });

  test('the gold fix: reward 1 under both, the same grade', async () => {
    const bwrap = await play(envs.get('bwrap')!.app, fix('R1'));
    const docker = await play(envs.get('docker')!.app, fix('R1'));
    assert.equal(bwrap.before, 0);
    assert.equal(bwrap.reward, 1);
    assert.deepEqual(docker, bwrap);
  });

  test('a wrong fix: caught under both, the same grade', async () => {
    const bwrap = await play(envs.get('bwrap')!.app, wrongFix);
    const docker = await play(envs.get('docker')!.app, wrongFix);
    assert.equal(bwrap.reward, 0);
    assert.deepEqual(docker, bwrap);
  });

  test('a container episode reaches the servers as its principal only, and not the environment\'s API', async () => {
    const env = envs.get('docker')!;
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (env.app.server.address() as { port: number }).port;
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
  });
});

// The same on the real target and a real bug (its baseline and grade run the real suite: minutes),
// only when asked, like real-target.test.ts: DN_ENV_REAL_TARGET=1.
const realTarget = process.env.DN_ENV_REAL_TARGET === '1';
describe('a real bug task under bubblewrap and in containers', { skip: skip || (realTarget ? false : 'set DN_ENV_REAL_TARGET=1 (runs the real suite on both backends)') }, () => {
  const envs = new Map<Kind, TestEnv>();
  before(() => servers(envs, {
    targetDir: DEFAULT_TARGET_DIR, manifestPath: DEFAULT_MANIFEST_PATH, nodeModulesDir: path.join(DEFAULT_TARGET_DIR, 'node_modules'),
    namespaceDatabases: ['pipeline', 'users', 'metrics', 'billing'],
  }));
  after(async () => {
    for (const env of envs.values()) await env.close();
  });

  test('the gold fix of a real bug: the same reward and the same grade under both', async () => {
    const active = activeBugs(await loadManifest(DEFAULT_MANIFEST_PATH));
    // a bug none of whose tests another bug also fails: fixing it alone resolves its task
    const bug = active.find((b) => !active.some((o) => o.id !== b.id && o.failToPass.some((id) => b.failToPass.includes(id))))!;
    const diff = readFileSync(path.join(path.dirname(DEFAULT_MANIFEST_PATH), bug.fix), 'utf8');
    const look = `ls services | wc -l; node -v; cat ${bug.files[0]} | wc -l`;
    const bwrap = await play(envs.get('bwrap')!.app, diff, `bug:${bug.id}`, look);
    const docker = await play(envs.get('docker')!.app, diff, `bug:${bug.id}`, look);
    assert.equal(bwrap.before, 0);
    assert.equal(bwrap.reward, 1, JSON.stringify(bwrap));
    assert.deepEqual(docker, bwrap);
  });
});
