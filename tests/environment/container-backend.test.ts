import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSuite } from '../../grader/src/index.ts';
import { resolveOptions } from '../../environment/src/options.ts';
import { createSandbox } from '../../environment/src/sandbox/index.ts';
import { sandboxRunner } from '../../environment/src/sandbox/runner.ts';
import type { SandboxBackend, SandboxRun } from '../../environment/src/sandbox/types.ts';
import { FIXTURE, tempDir } from './fixtures.ts';

// The container backend (--sandbox docker, Podman) run for real: what a sandbox must hold, checked
// from inside a container. It skips, with the reason, where the backend cannot run (no podman, no
// image); scripts/test.sh sets DN_REQUIRE_CONTAINERS=1 once scripts/containers.sh has prepared
// podman, and then an unavailable backend fails instead.

const MB = 1024 * 1024;
const limits = { processMemoryBytes: 512 * MB, totalMemoryBytes: 384 * MB, maxProcesses: 64, workspaceBytes: 32 * MB, tmpBytes: 16 * MB };
const stateDir = await tempDir('dn-ctr-state-');
const backend: SandboxBackend = createSandbox(resolveOptions({ sandbox: 'docker', stateDir, limits }));
let unavailable: string | false = false;
try {
  await backend.check();
} catch (err) {
  unavailable = (err as Error).message.split('\n')[0]!;
}
const skip = unavailable && process.env.DN_REQUIRE_CONTAINERS !== '1' ? unavailable : false;
const inventory = (JSON.parse(await readFile(path.join(path.dirname(FIXTURE.manifestPath), 'inventory.json'), 'utf8')) as { tests: string[] }).tests;

function containersOfThisServer(): string[] {
  const out = execFileSync('podman', ['ps', '--all', '--filter', `label=org.datanexus.env.server=${process.pid}`, '--format', '{{.Names}}'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

describe('container backend', { skip }, () => {
  let ws: string;
  let uid: number;
  let release: () => void;
  before(async () => {
    if (unavailable) throw new Error(unavailable);
    const lease = backend.leaseUid()!;
    uid = lease.uid;
    release = () => lease.release();
    ws = path.join(stateDir, 'ws');
    await backend.createWorkspace(ws);
    await backend.prepareWorkspace(ws, uid);
  });
  after(async () => {
    release?.();
    await backend.close();
    execFileSync('umount', ['-l', path.join(stateDir, 'ws')], { stdio: 'ignore' });
    await rm(stateDir, { recursive: true, force: true });
  });

  const run = (command: string, extra: Partial<SandboxRun> = {}) =>
    backend.run({ command: 'bash', args: ['-c', command], root: ws, env: {}, timeoutMs: 60_000, maxOutputBytes: 64 * 1024, uid, ...extra });

  test('/workspace is the workspace, written as the run\'s own uid; the rest of the host is out of sight', async () => {
    const r = await run(`pwd; echo hi > f; cat f; id -u; whoami; for p in /work ${stateDir} /etc/postgresql /var/lib/containers; do test -e "$p" && echo "visible: $p"; done; true`);
    assert.equal(r.exitCode, 0, r.stderr.text);
    assert.equal(r.stdout.text, `/workspace\nhi\n${uid}\nsandbox\n`);
    assert.equal((await stat(path.join(ws, 'f'))).uid, uid);
  });

  test('no capability, no new privilege, a read-only system and a capped private /tmp', async () => {
    const r = await run('grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; touch /usr/x 2>&1; head -c 20M /dev/zero 2>&1 > /tmp/big; echo tmp=$?');
    assert.match(r.stdout.text, /CapEff:\s+0000000000000000/);
    assert.match(r.stdout.text, /NoNewPrivs:\s+1/);
    assert.match(r.stdout.text, /Read-only file system/);
    assert.match(r.stdout.text, /No space left on device\ntmp=1/);
  });

  test('without a principal there is no network but loopback', async () => {
    const r = await run('cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; node -e "require(\'net\').connect(5432, \'127.0.0.1\').on(\'error\', (e) => console.log(e.code))"');
    assert.equal(r.stdout.text, 'lo\nECONNREFUSED\n');
  });

  test('the workspace is capped by the kernel: a write past it fails at once', async () => {
    const r = await run('head -c 40M /dev/zero 2>&1 > big; echo status=$?; rm -f big');
    assert.match(r.stdout.text, /No space left on device\nstatus=1/);
  });

  test('a timed-out run is killed, container and all', async () => {
    const r = await run('sleep 600 & sleep 601', { timeoutMs: 3000 });
    assert.equal(r.killedBy, 'timeout');
    assert.equal(r.timedOut, true);
    assert.deepEqual(containersOfThisServer(), []);
  });

  test('memory is capped by the kernel: an allocation past the run\'s cap is an OOM kill, reported as memory', async () => {
    const r = await run('node -e "const a = []; for (;;) a.push(Buffer.alloc(8e6, 1))"');
    assert.equal(r.killedBy, 'memory', `exit ${r.exitCode}: ${r.stderr.text}`);
    // a child killed while the container's first process lives on: the whole run goes, as under bwrap
    const child = await run('node -e "const a = []; for (;;) a.push(Buffer.alloc(8e6, 1))"; sleep 600', { timeoutMs: 60_000 });
    assert.equal(child.killedBy, 'memory');
    assert.deepEqual(containersOfThisServer(), []);
  });

  test('processes are capped: a fork flood stops at the cap and the run still ends', async () => {
    // node counts its forks synchronously: a refused fork leaves the child without a pid
    const flood = "const { spawn } = require('child_process'); let ok = 0; for (let i = 0; i < 200; i++) { const c = spawn('sleep', ['30']); c.on('error', () => {}); if (c.pid) ok++; } console.log('forks=' + ok); process.exit(0)";
    const r = await run(`node -e "${flood}"`);
    const forks = Number(/forks=(\d+)/.exec(r.stdout.text)?.[1]);
    assert.ok(forks > 0 && forks < limits.maxProcesses, `${r.stdout.text} ${r.stderr.text}`);
    assert.deepEqual(containersOfThisServer(), []);
  });

  test('input reaches the command on its stdin', async () => {
    const r = await run('wc -c', { input: 'twelve bytes' });
    assert.equal(r.stdout.text.trim(), '12');
  });

  describe('grading', () => {
    async function gradeTree(name: string, setup?: (tree: string) => Promise<void>) {
      const tree = path.join(stateDir, name);
      await cp(FIXTURE.targetDir, tree, { recursive: true, filter: (s) => path.basename(s) !== 'node_modules' });
      await setup?.(tree);
      await backend.prepareWorkspace(tree, uid);
      const runner = sandboxRunner({ backend, root: tree, nodeModules: FIXTURE.nodeModulesDir, uid, env: {}, maxOutputBytes: 4 * MB });
      return runSuite({ dir: tree, runner, expected: inventory, timeoutMs: 120_000, preflight: async () => undefined });
    }

    test('results come over the channel, out of reach of the code under test', async () => {
      const control = await gradeTree('control');
      assert.equal(control.infraError, undefined, control.infraError?.message);
      assert.ok(control.results.tests.length > 0);
      // code a test loads goes after the jest parent: its fds, its memory
      const attacked = await gradeTree('attacked', async (tree) => {
        const file = path.join(tree, 'tests/unit/stats.test.js');
        const src = await readFile(file, 'utf8');
        const { writeFile } = await import('node:fs/promises');
        await writeFile(file, `${ATTACK}\n${src}`);
      });
      const log = JSON.parse(await readFile(path.join(stateDir, 'attacked', 'attack.json'), 'utf8')) as { parent: number | null; opened: string[]; errors: string[] };
      assert.ok(log.parent, 'the attacker found the jest parent');
      assert.deepEqual(log.opened, []);
      assert.ok(log.errors.length > 0 && log.errors.every((e) => /EACCES$/.test(e)), JSON.stringify(log.errors));
      const outcome = (r: typeof control) => r.results.tests.map((t) => `${t.id}:${t.status}`).sort();
      assert.deepEqual(outcome(attacked), outcome(control));
    });
  });

  test('closing the backend leaves no container and no cgroup of this server, in any hierarchy', async () => {
    await backend.close();
    assert.deepEqual(containersOfThisServer(), []);
    const left = readdirSync('/sys/fs/cgroup').filter((h) => existsSync(path.join('/sys/fs/cgroup', h, 'datanexus-gym', String(process.pid))));
    assert.deepEqual(left, []);
  });
});

// Runs when the test file is loaded: finds the jest parent and tries to write into its fds and memory.
const ATTACK = String.raw`
{
  const fs = require('fs');
  const log = { parent: null, opened: [], errors: [] };
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try { if (fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('jest-parent.cjs')) log.parent = Number(pid); } catch {}
  }
  if (log.parent) {
    for (const f of ['fd/1', 'fd/2', 'fd/3', 'fd/4', 'mem', 'environ']) {
      try { fs.closeSync(fs.openSync('/proc/' + log.parent + '/' + f, 'r+')); log.opened.push(f); } catch (e) { log.errors.push(f + ' ' + e.code); }
    }
  }
  fs.writeFileSync('/workspace/attack.json', JSON.stringify(log));
}
`;
