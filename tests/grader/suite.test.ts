import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  defaultServers, inventoryDetails, JEST_PARENT_ENTRY, loadManifest, probeServers, processRunner, runSuite, testInventory, verify,
  type CommandRunner, type ProgressEvent,
} from '../../grader/src/index.ts';
import { channelOf, copyManifestDir, copyTarget, FIXTURE_TARGET, TARGET_NODE_MODULES, tempDir } from './helpers.ts';

/** Dead, or a zombie waiting for a reaper (a container's pid 1 may never reap orphans). */
async function isGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    await new Promise((resolve) => setTimeout(resolve, 20)); // polls the kernel, not the code under test
  }
  return false;
}

// One shared scratch area: the fixture manifest copied once, its inventory computed once.
let tmp: { dir: string; cleanup: () => Promise<void> };
let manifestPath: string;
let inventory: string[];

before(async () => {
  tmp = await tempDir('grader-suite-');
  manifestPath = await copyManifestDir(tmp.dir);
});
after(async () => { await tmp.cleanup(); });

describe('inventory', () => {
  test('is computed from the all-fixed tree, cached, and recomputed when the tests change', async () => {
    const first = await inventoryDetails({ targetDir: FIXTURE_TARGET, manifestPath });
    assert.equal(first.cached, false);
    assert.equal(first.tests.length, 13);
    assert.ok(first.tests.includes('security/paths.test.js › object paths › keeps plain keys inside the root'), 'tests of a file that fails to load in the shipped tree are listed');
    assert.ok(first.tests.includes('unit/nested/strings.test.js › top-level test without a describe'));
    assert.ok(existsSync(path.join(path.dirname(manifestPath), 'inventory.json')));
    const again = await inventoryDetails({ targetDir: FIXTURE_TARGET, manifestPath });
    assert.equal(again.cached, true);
    assert.deepEqual(again.tests, first.tests);
    inventory = first.tests;

    // a changed test file changes the hash: the cache is not reused (a fake jest answers)
    const target = await copyTarget(tmp.dir, 'changed-target');
    const m2 = await copyManifestDir(path.join(tmp.dir, 'changed'));
    await writeFile(path.join(m2, '..', 'inventory.json'), await readFile(path.join(path.dirname(manifestPath), 'inventory.json')));
    assert.equal((await inventoryDetails({ targetDir: target, manifestPath: m2 })).cached, true, 'same sources, same cache');
    const file = path.join(target, 'tests', 'unit', 'stats.test.js');
    await writeFile(file, (await readFile(file, 'utf8')).replace("test('sums values'", "test('adds values'"));
    let calls = 0;
    const fake: CommandRunner = async (_cmd, args, opts) => {
      calls += 1;
      const name = path.join(opts.cwd, 'tests', 'unit', 'stats.test.js');
      const results = channelOf(JSON.stringify({ testResults: [{ name, status: 'passed', assertionResults: [{ ancestorTitles: ['stats'], title: 'adds values', status: 'passed' }] }] }));
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, results };
    };
    const changed = await inventoryDetails({ targetDir: target, manifestPath: m2, runner: fake });
    assert.equal(calls, 1);
    assert.equal(changed.cached, false);
    assert.deepEqual(changed.tests, ['unit/stats.test.js › stats › adds values']);
  });

  test('a test file that fails to load in the all-fixed tree is an inventory error', async () => {
    const m3 = await copyManifestDir(path.join(tmp.dir, 'broken-inv'));
    const fake: CommandRunner = async (_cmd, args, opts) => {
      const results = channelOf(JSON.stringify({ testResults: [{ name: path.join(opts.cwd, 'tests/unit/x.test.js'), status: 'failed', message: 'SyntaxError', assertionResults: [] }] }));
      return { exitCode: 1, stdout: '', stderr: '', timedOut: false, results };
    };
    await assert.rejects(inventoryDetails({ targetDir: FIXTURE_TARGET, manifestPath: m3, runner: fake }), { code: 'GRADER_ERR_INVENTORY' });
    const down: CommandRunner = async () => ({ exitCode: 1, stdout: '', stderr: 'boom', timedOut: false });
    await assert.rejects(inventoryDetails({ targetDir: FIXTURE_TARGET, manifestPath: m3, runner: down }), { code: 'GRADER_ERR_INFRA' });
  });
});

describe('runSuite', () => {
  let shipped: string;
  before(async () => {
    shipped = await copyTarget(tmp.dir, 'shipped');
    await symlink(TARGET_NODE_MODULES, path.join(shipped, 'node_modules'), 'dir');
    inventory ??= await testInventory({ targetDir: FIXTURE_TARGET, manifestPath });
  });

  test('runs jest in the tree; a file that fails to load leaves its tests missing with the load error', async () => {
    const run = await runSuite({ dir: shipped, expected: inventory });
    assert.equal(run.infraError, undefined);
    assert.equal(run.timedOut, false);
    assert.equal(run.exitCode, 1);
    const byId = new Map(run.results.tests.map((t) => [t.id, t]));
    assert.equal(run.results.tests.length, 13);
    assert.equal(byId.get('unit/stats.test.js › stats › mean › averages every sample')?.status, 'failed');
    assert.equal(byId.get('unit/stats.test.js › stats › sums values')?.status, 'passed');
    const missing = byId.get('security/paths.test.js › object paths › refuses keys that climb out of the root');
    assert.equal(missing?.status, 'missing');
    assert.match(missing?.message ?? '', /test file failed to run: Cannot find module '\.\/sanitise'/);
    assert.ok(!(missing?.message ?? '').includes(shipped), 'no absolute tree path in messages');
  });

  test('files and a name pattern narrow both the run and the expected list', async () => {
    const byPattern = await runSuite({ dir: shipped, expected: inventory, files: ['tests/unit/stats.test.js'], testNamePattern: 'mean' });
    assert.deepEqual(byPattern.results.tests.map((t) => [t.id, t.status]), [
      ['unit/stats.test.js › stats › mean › averages every sample', 'failed'],
      ['unit/stats.test.js › stats › mean › is zero for no samples', 'passed'],
    ]);
  });

  test('a category is passed to jest as --selectProjects and narrows the expected list', async () => {
    let seen: string[] = [];
    const fake: CommandRunner = async (_cmd, args) => {
      seen = args;
      const results = channelOf(JSON.stringify({ testResults: [] }));
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, results };
    };
    const r = await runSuite({ dir: shipped, expected: inventory, category: 'chaos', runner: fake });
    assert.deepEqual(seen.slice(seen.indexOf('--selectProjects'), seen.indexOf('--selectProjects') + 2), ['--selectProjects', 'chaos']);
    assert.ok(seen.includes('--ci') && seen.some((a) => a.startsWith('--workerIdleMemoryLimit=')), 'tests never run in band, in the parent');
    assert.equal(seen[0], JEST_PARENT_ENTRY, 'the jest parent is the grader\'s own entry, not the tree\'s');
    assert.deepEqual(r.results.tests.map((t) => t.status), ['missing', 'missing', 'missing']);
    assert.ok(r.results.tests.every((t) => t.category === 'chaos'));
  });

  test('infrastructure failures come back as infraError with no results, never as failing tests', async () => {
    const throwing: CommandRunner = async () => { throw new Error('sandbox could not start'); };
    const r1 = await runSuite({ dir: shipped, expected: inventory, runner: throwing });
    assert.equal(r1.infraError?.code, 'GRADER_ERR_INFRA');
    assert.match(r1.infraError?.message ?? '', /sandbox could not start/);
    assert.deepEqual(r1.results.tests, []);

    const silent: CommandRunner = async () => ({ exitCode: 1, stdout: '', stderr: 'Error: Cannot find module jest', timedOut: false });
    const r2 = await runSuite({ dir: shipped, expected: inventory, runner: silent });
    assert.equal(r2.infraError?.code, 'GRADER_ERR_INFRA');
    assert.match(r2.infraError?.message ?? '', /the test runner did not start.*\n.*Cannot find module jest/);

    const r3 = await runSuite({ dir: shipped, expected: inventory, preflight: async () => ({ code: 'GRADER_ERR_INFRA', message: 'Redis down' }) });
    assert.deepEqual(r3.infraError, { code: 'GRADER_ERR_INFRA', message: 'Redis down' });

    const r4 = await runSuite({ dir: FIXTURE_TARGET.replace('mini-target', 'mini-manifest'), expected: inventory });
    assert.equal(r4.infraError?.code, 'GRADER_ERR_JEST_NOT_FOUND');

    await assert.rejects(runSuite({ dir: path.join(tmp.dir, 'nowhere') }), { code: 'GRADER_ERR_FILE_NOT_FOUND' });
    await assert.rejects(runSuite({ dir: shipped, category: 'lint' as 'unit' }), { code: 'GRADER_ERR_INVALID_OPTION' });
    await assert.rejects(runSuite({ dir: shipped, files: ['../escape.test.js'] }), { code: 'GRADER_ERR_INVALID_OPTION' });
  });

  test('a run the code under test broke (started, no results, servers up before and after) is a failed run: every test missing', async () => {
    const killed: CommandRunner = async () => ({ exitCode: null, stdout: '', stderr: 'Killed', timedOut: false, results: '{"started":true}\n' });
    let probes = 0;
    const healthy = async () => { probes += 1; return undefined; };
    const r = await runSuite({ dir: shipped, expected: inventory, runner: killed, category: 'unit', preflight: healthy });
    assert.equal(probes, 2, 'the servers are probed before and after the run');
    assert.equal(r.infraError, undefined);
    assert.match(r.broken ?? '', /ended without results/);
    assert.equal(r.results.tests.length, 7);
    assert.ok(r.results.tests.every((t) => t.status === 'missing'));

    // the same silence with a server down after the run is the infrastructure's
    let calls = 0;
    const flaky = async () => (++calls === 1 ? undefined : { code: 'GRADER_ERR_INFRA', message: 'PostgreSQL down' });
    const r2 = await runSuite({ dir: shipped, expected: inventory, runner: killed, preflight: flaky });
    assert.equal(r2.infraError?.code, 'GRADER_ERR_INFRA');
    assert.match(r2.infraError?.message ?? '', /PostgreSQL down/);
    assert.deepEqual(r2.results.tests, []);

    // a result line cut off mid-write is no result
    const cut: CommandRunner = async () => ({ exitCode: 1, stdout: '', stderr: '', timedOut: false, results: '{"started":true}\n{"results":{"testRes' });
    const r3 = await runSuite({ dir: shipped, expected: inventory, runner: cut, preflight: healthy });
    assert.ok(r3.broken && r3.results.tests.every((t) => t.status === 'missing'));
    // without an expected list (the agent's own runs, the inventory) there is nothing to score: infrastructure
    const r4 = await runSuite({ dir: shipped, runner: killed, preflight: healthy });
    assert.equal(r4.infraError?.code, 'GRADER_ERR_INFRA');
  });

  test('a run that times out is not an infra error: its tests are missing', async () => {
    const slow: CommandRunner = async (_cmd, _args, opts) => {
      assert.equal(opts.env.FORCE_COLOR, '0');
      assert.equal(opts.cwd, shipped);
      return { exitCode: null, stdout: '', stderr: '', timedOut: true };
    };
    const r = await runSuite({ dir: shipped, expected: inventory, runner: slow, timeoutMs: 5000, category: 'unit' });
    assert.equal(r.infraError, undefined);
    assert.equal(r.timedOut, true);
    assert.equal(r.results.tests.length, 7);
    assert.ok(r.results.tests.every((t) => t.status === 'missing' && /did not finish within 5 s/.test(t.message ?? '')));
  });
});

describe('probeServers', () => {
  test('the management API is probed with the other servers: a closed port is an infrastructure error that names it', async () => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const servers = defaultServers({ DN_RABBIT_MANAGEMENT_URL: `http://guest:guest@127.0.0.1:${port}` });
    assert.deepEqual(servers.map((s) => s.name), ['PostgreSQL', 'Redis', 'RabbitMQ', 'RabbitMQ management API']);
    const down = await probeServers(servers.filter((s) => s.name === 'RabbitMQ management API'));
    assert.equal(down?.code, 'GRADER_ERR_INFRA');
    assert.match(down?.message ?? '', new RegExp(`RabbitMQ management API at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});

describe('processRunner', () => {
  test('kills the whole process tree on timeout and caps output', async () => {
    const pidFile = path.join(tmp.dir, 'grandchild.pid');
    const started = Date.now();
    const out = await processRunner()('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; yes | head -c 300000; wait`], {
      cwd: tmp.dir, env: { PATH: process.env.PATH ?? '' }, timeoutMs: 1500, maxOutputBytes: 1000,
    });
    assert.equal(out.timedOut, true);
    assert.ok(Date.now() - started < 10_000);
    assert.ok(out.stdout.length < 1100);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    assert.ok(await isGone(pid), 'the backgrounded grandchild is gone');
  });

  test('reports exit codes and output of a normal run', async () => {
    const out = await processRunner()('sh', ['-c', 'echo out; echo err >&2; exit 3'], { cwd: tmp.dir, env: { PATH: process.env.PATH ?? '' }, timeoutMs: 10_000 });
    assert.deepEqual(out, { exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
  });

  test('a grader stopped by SIGTERM takes its running group with it, then dies of the signal', async () => {
    const pidFile = path.join(tmp.dir, 'sigterm-grandchild.pid');
    const runnerUrl = new URL('../../grader/src/runner.ts', import.meta.url).href;
    // The grader process prints "running" once the run's shell has backgrounded its sleeper.
    const script = `
      import { processRunner } from ${JSON.stringify(runnerUrl)};
      processRunner()('sh', ['-c', 'sleep 60 & echo $! > ${pidFile}; echo started; wait'], { cwd: ${JSON.stringify(tmp.dir)}, env: { PATH: process.env.PATH }, timeoutMs: 60000 });
      const timer = setInterval(async () => {
        const fs = await import('node:fs');
        if (fs.existsSync(${JSON.stringify(pidFile)}) && fs.readFileSync(${JSON.stringify(pidFile)}, 'utf8').endsWith('\\n')) { clearInterval(timer); console.log('running'); }
      }, 20);`;
    const grader = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(grader, 'exit');
    let out = '';
    for await (const chunk of grader.stdout) {
      out += String(chunk);
      if (out.includes('running')) break;
    }
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    grader.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' }, 'the signal is re-raised: nothing else handled it');
    assert.ok(await isGone(pid), 'the sleeper the run started is gone');
  });

  test('a command that cannot start is an infra error', async () => {
    await assert.rejects(processRunner()('/nonexistent/binary', [], { cwd: tmp.dir, env: {}, timeoutMs: 1000 }), { code: 'GRADER_ERR_INFRA' });
  });
});

describe('verify', () => {
  test('passes on the fixture: all fixed passes, each bug fails exactly its failToPass, the shipped tree fails the union', async () => {
    const events: ProgressEvent[] = [];
    const report = await verify({
      targetDir: FIXTURE_TARGET, manifestPath, repeat: 1,
      clock: () => new Date('2030-01-02T03:04:05.000Z'),
      progress: (e) => events.push(e),
    });
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c) => !c.ok), null, 2));
    assert.equal(report.mode, 'full');
    assert.deepEqual(Object.keys(report.bugs), ['N1', 'R1', 'X1']);
    assert.deepEqual(report.checks.map((c) => c.step), ['inventory', 'static', 'apply', 'all-fixed', 'bug', 'bug', 'alternative', 'wrong-fix', 'bug', 'shipped']);
    const m = await loadManifest(manifestPath);
    const plain = { runs: 1, stability: '1/1', date: '2030-01-02T03:04:05.000Z', graderVersion: '0.1.0', mode: 'full' };
    for (const b of m.bugs) {
      // inputs: the hash `verify --reuse` keys on (tests/grader/verify-reuse.test.ts); one per bug
      const { inputs, readsKey, ...record } = b.validation ?? {};
      assert.match(inputs ?? '', /^[0-9a-f]{64}$/, b.id);
      // the second key (what the runs read): none for X1, whose test file crashes while loading on its tree
      if (b.id === 'X1') assert.equal(readsKey, undefined);
      else assert.match(readsKey ?? '', /^[0-9a-f]{64}$/, b.id);
      assert.deepEqual(record, b.id === 'R1' ? { ...plain, alternatives: '1/1', wrongFixesCaught: '1/1' } : plain);
    }
    assert.equal(new Set(m.bugs.map((b) => b.validation?.inputs)).size, m.bugs.length, 'each bug has its own inputs');
    assert.equal(report.bugs.R1?.alternatives, '1/1');
    assert.equal(report.bugs.R1?.wrongFixesCaught, '1/1');
    assert.match(report.checks.find((c) => c.step === 'wrong-fix')?.detail ?? '', /caught: 1 failToPass test\(s\) failed: chaos\/retry\.test\.js › retry under faults › gives up after the allowed attempts/);
    const written = JSON.parse(await readFile(path.join(path.dirname(manifestPath), 'verify-report.json'), 'utf8')) as { ok: boolean };
    assert.equal(written.ok, true);
    assert.match(await readFile(path.join(path.dirname(manifestPath), 'verify-report.md'), 'utf8'), /PASSED/);
    const ends = events.filter((e) => e.phase === 'end');
    assert.equal(ends.length, 10);
    assert.ok(ends.every((e) => e.total === 10 && e.ok === true));
  });

  test('fails, and removes the validation, when a failToPass list is wrong', async () => {
    const m2 = await copyManifestDir(path.join(tmp.dir, 'wrong'));
    await writeFile(path.join(path.dirname(m2), 'inventory.json'), await readFile(path.join(path.dirname(manifestPath), 'inventory.json')));
    const data = JSON.parse(await readFile(m2, 'utf8')) as { bugs: Array<{ id: string; failToPass: string[]; validation?: unknown }> };
    const r1 = data.bugs.find((b) => b.id === 'R1')!;
    r1.failToPass = r1.failToPass.slice(0, 1);
    r1.validation = { runs: 3, stability: '3/3', date: '2029-01-01T00:00:00Z' };
    await writeFile(m2, JSON.stringify(data, null, 2));
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m2, bugs: ['R1'], quick: true });
    assert.equal(report.ok, false);
    assert.equal(report.mode, 'quick');
    assert.equal(report.bugs.R1?.ok, false);
    assert.equal(report.bugs.R1?.stability, '0/1');
    const bad = report.checks.find((c) => c.step === 'bug');
    assert.deepEqual(bad?.unexpectedFailures?.map((s) => s.split(' [')[0]), ['chaos/retry.test.js › retry under faults › recovers when the last allowed attempt succeeds']);
    assert.ok(!report.checks.some((c) => c.step === 'shipped'), 'with --bugs, the shipped check is left out');
    const after = await loadManifest(m2);
    assert.equal(after.bugs.find((b) => b.id === 'R1')?.validation, undefined);
  });

  test('an interrupted verification keeps the records of the bugs it finished', async () => {
    const m2 = await copyManifestDir(path.join(tmp.dir, 'interrupted'));
    await writeFile(path.join(path.dirname(m2), 'inventory.json'), await readFile(path.join(path.dirname(manifestPath), 'inventory.json')));
    const before = await loadManifest(m2);
    for (const b of before.bugs) assert.equal(b.validation, undefined, `${b.id} starts unvalidated`);
    // bugs are verified in manifest order (N1, then R1): the machine goes away when R1's first tree is about to run
    const real = processRunner();
    const failing: typeof real = async (cmd, args, opts) => {
      if (path.basename(opts.cwd ?? '').endsWith('-R1')) throw new Error('the machine went away');
      return real(cmd, args, opts);
    };
    await assert.rejects(verify({ targetDir: FIXTURE_TARGET, manifestPath: m2, bugs: ['R1', 'N1'], quick: true, runner: failing }));
    const after = await loadManifest(m2);
    assert.equal(after.bugs.find((b) => b.id === 'N1')?.validation?.stability, '1/1');
    assert.equal(after.bugs.find((b) => b.id === 'R1')?.validation, undefined);
  });

  test('checks the shipped tree after a subset when asked', async () => {
    const m2 = await copyManifestDir(path.join(tmp.dir, 'subset-shipped'));
    await writeFile(path.join(path.dirname(m2), 'inventory.json'), await readFile(path.join(path.dirname(manifestPath), 'inventory.json')));
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m2, bugs: ['R1'], shipped: true, quick: true, write: false });
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.deepEqual(Object.keys(report.bugs), ['R1']);
    const shipped = report.checks.filter((c) => c.step === 'shipped');
    assert.equal(shipped.length, 1);
    assert.equal(shipped[0]?.ok, true);
  });
});
