import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveOptions } from '../../environment/src/options.ts';
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { treeBytes } from '../../environment/src/sandbox/disk-watchdog.ts';
import { removeTree } from '../../environment/src/workspace/tree.ts';
import { BwrapBackend } from '../../environment/src/sandbox/bwrap.ts';
import { createSandbox } from '../../environment/src/sandbox/index.ts';
import type { SandboxBackend, SandboxRun, UidLease } from '../../environment/src/sandbox/types.ts';
import { FIXTURE, REPO, hasBwrap, tempDir } from './fixtures.ts';

const MB = 1024 * 1024;
const limits = { processMemoryBytes: 256 * MB, totalMemoryBytes: 768 * MB, maxProcesses: 256, workspaceBytes: 64 * MB };

function processesMatching(marker: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

describe('bwrap sandbox', { skip: hasBwrap ? false : 'bubblewrap is not installed (apt-get install bubblewrap)' }, () => {
  let sb: SandboxBackend;
  let stateDir: string;
  let ws: string;
  let wsParent: string;
  let lease: UidLease | null;
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, extra: Partial<SandboxRun> = {}) =>
    sb.run({ command: 'bash', args: ['-c', command], root: ws, env: { FOO: 'bar' }, timeoutMs: 20_000, maxOutputBytes: 64 * 1024, nodeModules: FIXTURE.nodeModulesDir, ...(lease ? { uid: lease.uid } : {}), ...extra });

  before(async () => {
    // A state directory that other users cannot search, as in a clone in root's home or a 0700 home.
    stateDir = await tempDir('dn-sb-state-');
    await chmod(stateDir, 0o700);
    const options = resolveOptions({ sandbox: 'bwrap', stateDir, limits });
    wsParent = path.join(options.workRoot, 'sandbox-test');
    ws = path.join(wsParent, 'ws');
    sb = createSandbox(options);
    await sb.check();
    await sb.createWorkspace(ws);
    await writeFile(path.join(ws, 'hello.txt'), 'hello\n');
    lease = sb.leaseUid();
    await sb.prepareWorkspace(ws, lease?.uid ?? null);
  });
  after(async () => {
    lease?.release();
    await sb.close();
    await removeTree(wsParent);
    await rm(stateDir, { recursive: true, force: true });
  });

  test('shows the workspace read-write at /workspace and nothing of the repository', async () => {
    const r = await run(`cat hello.txt; echo new > made.txt; pwd; id -u; echo $FOO;
      ls ${REPO}/bug-manifest 2>&1; ls /work 2>&1; cat ${REPO}/bug-manifest/manifest.json 2>&1; ls / | tr '\\n' ' '`);
    assert.equal(r.exitCode, 0, r.stderr.text);
    const out = r.stdout.text;
    assert.match(out, /^hello\n\/workspace\n1000\nbar\n/);
    assert.match(out, /bug-manifest'?: No such file or directory/);
    assert.doesNotMatch(out, /"bugs"/);
    assert.match(out, /cannot access '\/work': No such file or directory/);
    const allowed = new Set(['bin', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'opt', 'proc', 'run', 'sbin', 'tmp', 'usr', 'workspace']);
    const top = out.trim().split('\n').at(-1)!.trim().split(' ');
    assert.deepEqual(top.filter((d) => !allowed.has(d)), [], `unexpected top-level entries: ${top.join(' ')}`);
    assert.equal(await readFile(path.join(ws, 'made.txt'), 'utf8'), 'new\n');
  });

  test('keeps the system and node_modules read-only and /tmp private', async () => {
    const r = await run('touch /usr/x 2>&1; touch node_modules/x 2>&1; echo secret > /tmp/s; node -e "require(\'jest/package.json\'); console.log(\'jest ok\')"');
    assert.match(r.stdout.text, /\/usr\/x'?: Read-only file system/);
    assert.match(r.stdout.text, /node_modules\/x'?: Read-only file system/);
    assert.match(r.stdout.text, /jest ok/);
    const again = await run('cat /tmp/s 2>&1 || true');
    assert.match(again.stdout.text, /No such file/);
  });

  test('has no capabilities and cannot make new namespaces', async () => {
    const r = await run('grep CapEff /proc/self/status; unshare -U true 2>&1 || echo denied');
    assert.match(r.stdout.text, /CapEff:\s+0+\n/);
    assert.match(r.stdout.text, /denied/);
  });

  test('a command that forks and never exits is killed with its whole tree at the timeout', async () => {
    const marker = `dn-forker-${process.pid}`;
    const r = await run(`(setsid bash -c 'exec -a ${marker} sleep 600' &) ; (bash -c 'exec -a ${marker} sleep 601' &); exec -a ${marker} sleep 602`, { timeoutMs: 1500 });
    assert.equal(r.killedBy, 'timeout');
    assert.equal(r.timedOut, true);
    assert.deepEqual(processesMatching(marker), []);
  });

  test('background processes do not outlive a command that exits', async () => {
    const marker = `dn-bg-${process.pid}`;
    const r = await run(`(setsid bash -c 'exec -a ${marker} sleep 600' &); echo started`);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(processesMatching(marker), []);
  });

  test('a command that fills memory dies without taking the host with it', async () => {
    const r = await run('node -e "const a=[]; for(;;) a.push(Buffer.alloc(1<<20, 1))"');
    assert.notEqual(r.exitCode, 0);
    assert.ok(r.killedBy === null || r.killedBy === 'memory', `killed by ${r.killedBy}`);
    const shell = await run('x=$(head -c 2000000000 /dev/zero | tr "\\0" a); echo ${#x}');
    assert.notEqual(shell.stdout.text.trim(), '2000000000');
  });

  test('a tree whose processes together pass the memory limit is killed', async () => {
    if (asRoot) assert.equal(sb.limitsInForce.memory, 'cgroup-v1', 'as root, memory is capped by a cgroup');
    const hog = 'node -e "const a=[]; for (let i = 0; i < 200; i++) a.push(Buffer.alloc(1<<20, 1)); setInterval(() => {}, 1000)"';
    const r = await run(`for i in 1 2 3 4 5 6; do ${hog} & done; wait`);
    assert.equal(r.killedBy, 'memory');
  });

  test('a workspace cannot grow past its disk limit; cleaning up works', async () => {
    if (asRoot) assert.equal(sb.limitsInForce.disk, 'tmpfs', 'as root, the workspace is a size-capped tmpfs');
    const r = await run('mkdir -p junk; for i in $(seq 1 200); do head -c 8000000 /dev/zero > junk/f$i || { echo refused at $i; exit 3; }; done; echo finished', { timeoutMs: 60_000 });
    assert.doesNotMatch(r.stdout.text, /finished/);
    if (sb.limitsInForce.disk === 'tmpfs') {
      // the kernel refuses the write that would pass the cap: there is nothing to race
      assert.equal(r.exitCode, 3, r.stderr.text.slice(0, 300));
      assert.match(r.stderr.text, /No space left on device/);
      const fs = statfsSync(ws);
      assert.ok((fs.blocks - fs.bfree) * fs.bsize <= 64 * MB, `the workspace file system holds ${(fs.blocks - fs.bfree) * fs.bsize} bytes`);
    } else {
      assert.equal(r.killedBy, 'disk');
    }
    const clean = await run('rm -rf junk; echo cleaned');
    assert.equal(clean.killedBy, null);
    assert.match(clean.stdout.text, /cleaned/);
    assert.ok(treeBytes(ws) < 64 * MB);
  });

  test('a read-only source below a directory others cannot search is shown all the same', async () => {
    const hidden = path.join(stateDir, 'hidden');
    await mkdir(hidden);
    await writeFile(path.join(hidden, 'note.txt'), 'reachable\n');
    const r = await run('cat /srv/note.txt; touch /srv/x 2>&1 || true', { mounts: [{ host: hidden, sandbox: '/srv', readOnly: true }] });
    assert.equal(r.exitCode, 0, r.stderr.text);
    assert.match(r.stdout.text, /^reachable\n.*Read-only file system/s);
  });

  test('every run gets a cgroup of its own, removed when the run ends; one empty group waits for the next run', { skip: asRoot ? false : 'cgroups need root' }, async () => {
    assert.ok(sb instanceof BwrapBackend);
    const serverGroup = `/sys/fs/cgroup/memory/datanexus-gym/${process.pid}`;
    const groups = (): string[] => readdirSync(serverGroup, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    await run('true'); // a run before this one left its spare
    await sb.cgroups.settled();
    const before = groups();
    assert.equal(before.length, 1, `the spare only: ${before.join(', ')}`);
    const r = await run('grep -c . /proc/self/cgroup');
    assert.equal(r.exitCode, 0, r.stderr.text);
    await sb.cgroups.settled();
    const after = groups();
    assert.equal(after.length, 1, `the next spare only: ${after.join(', ')}`);
    assert.notEqual(after[0], before[0], 'the run took the spare, and its group is gone');
    assert.equal(readFileSync(path.join(serverGroup, after[0]!, 'cgroup.procs'), 'utf8'), '', 'the spare holds no process');
  });

  test('output is capped, says so, and a flood is killed', async () => {
    const r = await run('head -c 1000000 /dev/zero | tr "\\0" y', { maxOutputBytes: 1000 });
    assert.equal(r.stdout.truncated, true);
    assert.equal(r.stdout.bytes, 1_000_000);
    assert.match(r.stdout.text, /\[\.\.\. truncated: 999000 bytes omitted \.\.\.\]/);
    const flood = await run('yes', { outputKillBytes: 5 * MB });
    assert.equal(flood.killedBy, 'output');
  });

  test('a fork bomb hits the per-sandbox process limit', { skip: process.getuid?.() === 0 ? false : 'per-sandbox process limits need the server to run as root (one uid per sandbox)' }, async () => {
    const r = await run(':(){ :|:& };: ; sleep 1; echo survived', { timeoutMs: 5000 });
    assert.ok(r.stderr.text.includes('Resource temporarily unavailable') || r.killedBy !== null, r.stderr.text.slice(0, 300));
  });
});

describe('unsafe process backend', () => {
  test('says it is unsafe and still enforces the timeout on the whole group', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'dn-sb-state-'));
    const ws = await mkdtemp(path.join(os.tmpdir(), 'dn-sb-ws-'));
    const sb = createSandbox(resolveOptions({ sandbox: 'unsafe-process', stateDir }));
    try {
      await sb.check();
      assert.equal(sb.kind, 'unsafe-process');
      assert.equal(sb.isolated, false);
      assert.match(sb.description, /UNSAFE/);
      const marker = `dn-unsafe-${process.pid}`;
      const r = await sb.run({ command: 'bash', args: ['-c', `pwd; (exec -a ${marker} sleep 600 &); exec -a ${marker} sleep 601`], root: ws, env: {}, timeoutMs: 1000, maxOutputBytes: 4096 });
      assert.equal(r.killedBy, 'timeout');
      assert.equal(r.stdout.text, '/workspace\n', 'host paths are shown as /workspace');
      assert.deepEqual(processesMatching(marker), []);
    } finally {
      await sb.close();
      await rm(ws, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

// The container backend (--sandbox docker) has its own files: container-backend.test.ts and
// container-episode.test.ts.
