import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSuite, type RunResult } from '../../grader/src/index.ts';
import { resolveOptions } from '../../environment/src/options.ts';
import { createSandbox } from '../../environment/src/sandbox/index.ts';
import { sandboxRunner } from '../../environment/src/sandbox/runner.ts';
import type { SandboxBackend } from '../../environment/src/sandbox/types.ts';
import { FIXTURE, hasBwrap, tempDir } from './fixtures.ts';

const MB = 1024 * 1024;
const limits = { processMemoryBytes: 512 * MB, totalMemoryBytes: 1536 * MB, maxProcesses: 256, workspaceBytes: 256 * MB };
const inventory = (JSON.parse(await readFile(path.join(path.dirname(FIXTURE.manifestPath), 'inventory.json'), 'utf8')) as { tests: string[] }).tests;

const INHERITED_PIPES = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && readlink "$f"; done; true';

// Started by code a test loads, as a separate process of the same uid in the same sandbox: it
// looks for the jest parent and tries every way to forge or reach its results, and writes down
// what worked. The test that loads it waits for it (spawnSync), so the parent is alive meanwhile.
const ATTACKER = String.raw`
const fs = require('fs');
const { spawnSync } = require('child_process');
const log = { parent: null, reportFiles: [], rewritten: [], fdOpened: [], fdErrors: [], memOpened: false, memError: null, ptrace: null };
const pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
for (const pid of pids) {
  let cmd = '';
  try { cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\0').join(' '); } catch { continue; }
  if (cmd.includes('jest-parent.cjs')) log.parent = Number(pid);
  for (const m of cmd.matchAll(/--outputFile=(\S+)/g)) log.reportFiles.push(m[1]);
}
// any JSON report lying around where the sandbox can write
const walk = (dir, depth) => {
  if (depth > 6) return;
  let entries = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = dir + '/' + e.name;
    if (e.name === 'node_modules') continue;
    if (e.isDirectory()) walk(p, depth + 1);
    else if (e.isFile() && /\.json$/.test(e.name)) {
      try { if (fs.readFileSync(p, 'utf8').includes('numPassedTests')) log.reportFiles.push(p); } catch {}
    }
  }
};
for (const d of ['/workspace', '/tmp', '/run', '/opt']) walk(d, 0);
for (const f of log.reportFiles) {
  try { fs.writeFileSync(f, JSON.stringify({ numPassedTests: 1e6, testResults: [] })); log.rewritten.push(f); } catch {}
}
if (log.parent) {
  let fds = [];
  try { fds = fs.readdirSync('/proc/' + log.parent + '/fd'); } catch (e) { log.fdErrors.push('readdir ' + e.code); }
  for (const fd of ['0', '1', '2', '3', '4', '5', ...fds]) {
    try { fs.closeSync(fs.openSync('/proc/' + log.parent + '/fd/' + fd, 'w')); log.fdOpened.push(fd); } catch (e) { log.fdErrors.push(fd + ' ' + e.code); }
  }
  try { fs.closeSync(fs.openSync('/proc/' + log.parent + '/mem', 'r+')); log.memOpened = true; } catch (e) { log.memError = e.code; }
  if (fs.existsSync('/usr/bin/strace')) {
    const r = spawnSync('/usr/bin/strace', ['-e', 'trace=none', '-p', String(log.parent)], { encoding: 'utf8', timeout: 3000 });
    log.ptrace = (r.stderr || '').split('\n')[0];
  }
}
// whatever a test's child inherits (a shell keeps every fd that is not close-on-exec)
const sh = spawnSync('/bin/sh', ['-c', ${JSON.stringify(INHERITED_PIPES)}], { encoding: 'utf8' });
log.inherited = sh.stdout.split('\n').filter((l) => l.startsWith('pipe:'));
fs.writeFileSync('/workspace/attack.json', JSON.stringify(log));
`;

describe('results channel', { skip: hasBwrap ? false : 'bubblewrap is not installed' }, () => {
  let sb: SandboxBackend;
  let stateDir: string;

  before(async () => {
    stateDir = await tempDir('dn-rc-state-');
    sb = createSandbox(resolveOptions({ sandbox: 'bwrap', stateDir, limits }));
    await sb.check();
  });
  after(async () => {
    await sb.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function gradeTree(tree: string): Promise<RunResult> {
    const lease = sb.leaseUid();
    try {
      await sb.prepareWorkspace(tree, lease?.uid ?? null);
      const runner = sandboxRunner({ backend: sb, root: tree, nodeModules: FIXTURE.nodeModulesDir, ...(lease ? { uid: lease.uid } : {}), env: {}, maxOutputBytes: 4 * MB });
      return await runSuite({ dir: tree, runner, expected: inventory, timeoutMs: 120_000, preflight: async () => undefined });
    } finally {
      lease?.release();
    }
  }

  async function freshTree(name: string): Promise<string> {
    const dir = path.join(stateDir, name);
    await cp(FIXTURE.targetDir, dir, { recursive: true, filter: (s) => path.basename(s) !== 'node_modules' });
    return dir;
  }

  test('a process started by the code under test can neither find, rewrite, open nor trace what carries the results', async () => {
    const control = await gradeTree(await freshTree('control'));
    assert.equal(control.infraError, undefined, control.infraError?.message);

    const tree = await freshTree('attacked');
    await writeFile(path.join(tree, 'src', 'attacker.js'), ATTACKER);
    const strings = path.join(tree, 'src', 'strings.js');
    await writeFile(strings, `${await readFile(strings, 'utf8')}\nrequire('child_process').spawnSync(process.execPath, [require('path').join(__dirname, 'attacker.js')], { stdio: 'ignore' });\n`);
    const run = await gradeTree(tree);
    const log = JSON.parse(await readFile(path.join(tree, 'attack.json'), 'utf8')) as Record<string, unknown>;

    assert.equal(typeof log.parent, 'number', 'the attacker found the jest parent');
    assert.deepEqual(log.reportFiles, [], 'no report file and no --outputFile anywhere the sandbox sees');
    assert.deepEqual(log.rewritten, []);
    assert.deepEqual(log.fdOpened, [], `the parent's fds cannot be opened: ${JSON.stringify(log.fdErrors)}`);
    assert.ok((log.fdErrors as string[]).every((e) => / EACCES$/.test(e)), JSON.stringify(log.fdErrors));
    // pipes every sandboxed command inherits from the host process (a CI runner's, say) are not the channel
    const lease = sb.leaseUid();
    const plain = await sb.run({ command: '/bin/sh', args: ['-c', INHERITED_PIPES], root: tree, env: {}, timeoutMs: 10_000, maxOutputBytes: 65536, ...(lease ? { uid: lease.uid } : {}) });
    lease?.release();
    const hostPipes = new Set(plain.stdout.text.split('\n').filter((l) => l.startsWith('pipe:')));
    assert.deepEqual((log.inherited as string[]).filter((p) => !hostPipes.has(p)), [], 'the channel is close-on-exec in the parent: no worker or test child holds it');
    assert.equal(log.memOpened, false);
    assert.equal(log.memError, 'EACCES');
    if (log.ptrace !== null) assert.match(String(log.ptrace), /Operation not permitted/);

    assert.equal(run.infraError, undefined, run.infraError?.message);
    assert.deepEqual(run.results.tests.map((t) => [t.id, t.status]), control.results.tests.map((t) => [t.id, t.status]), 'the grade is unchanged');
  });

  test('killing the jest parent is no infrastructure error: every test is missing', async () => {
    const tree = await freshTree('killed');
    const stats = path.join(tree, 'src', 'stats.js');
    await writeFile(stats, `if (process.env.JEST_WORKER_ID) process.kill(process.ppid, 'SIGKILL');\n${await readFile(stats, 'utf8')}`);
    const run = await gradeTree(tree);
    assert.equal(run.infraError, undefined, run.infraError?.message);
    assert.match(run.broken ?? '', /ended without results/);
    assert.equal(run.results.tests.length, inventory.length);
    assert.ok(run.results.tests.every((t) => t.status === 'missing'));
  });
});
