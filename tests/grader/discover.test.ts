import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../grader/src/cli.ts';
import { discover } from '../../grader/src/commands/discover.ts';
import { loadManifest, verify, type CommandRunner } from '../../grader/src/index.ts';
import { channelOf, copyManifestDir, FIXTURE_MANIFEST, FIXTURE_MANIFEST_DIR, FIXTURE_TARGET, REPO, tempDir } from './helpers.ts';

interface Entry { id: string; failToPass: string[]; validation?: unknown }

let tmp: { dir: string; cleanup: () => Promise<void> };
let expected: Map<string, string[]>;

before(async () => {
  tmp = await tempDir('grader-discover-');
  const fixture = JSON.parse(await readFile(FIXTURE_MANIFEST, 'utf8')) as { bugs: Entry[] };
  expected = new Map(fixture.bugs.map((b) => [b.id, [...b.failToPass].sort()]));
});
after(async () => { await tmp.cleanup(); });

/** A private manifest whose failToPass lists are wrong, with the fixture's inventory cache. */
async function wrongManifest(name: string): Promise<string> {
  const m = await copyManifestDir(path.join(tmp.dir, name));
  await copyFile(path.join(FIXTURE_MANIFEST_DIR, 'inventory.json'), path.join(path.dirname(m), 'inventory.json'));
  const data = JSON.parse(await readFile(m, 'utf8')) as { bugs: Entry[] };
  for (const b of data.bugs) {
    b.failToPass = ['unit/stats.test.js › stats › finds the maximum'];
    b.validation = { runs: 3, stability: '3/3', date: '2029-01-01T00:00:00Z' };
  }
  // N1 already has its right list: its validation must survive a write
  const n1 = data.bugs.find((b) => b.id === 'N1')!;
  n1.failToPass = [...expected.get('N1')!];
  await writeFile(m, JSON.stringify(data, null, 2));
  return m;
}

/** A jest stand-in: reports every test of the fixture inventory, `failing(call)` of them failed. */
async function fakeJest(failing: (call: number) => string[]): Promise<{ runner: CommandRunner; calls: () => number }> {
  const inventory = (JSON.parse(await readFile(path.join(FIXTURE_MANIFEST_DIR, 'inventory.json'), 'utf8')) as { tests: string[] }).tests;
  let calls = 0;
  const runner: CommandRunner = async (_cmd, args, opts) => {
    calls += 1;
    const bad = new Set(failing(calls));
    const files = new Map<string, Array<{ ancestorTitles: string[]; title: string; status: string }>>();
    for (const id of inventory) {
      const [file, ...titles] = id.split(' › ');
      const name = path.join(opts.cwd, 'tests', file!);
      if (!files.has(name)) files.set(name, []);
      files.get(name)!.push({ ancestorTitles: titles.slice(0, -1), title: titles[titles.length - 1]!, status: bad.has(id) ? 'failed' : 'passed' });
    }
    const results = channelOf(JSON.stringify({ testResults: [...files].map(([name, assertionResults]) => ({ name, status: 'passed', assertionResults })) }));
    return { exitCode: bad.size > 0 ? 1 : 0, stdout: '', stderr: '', timedOut: false, results };
  };
  return { runner, calls: () => calls };
}

describe('discover', () => {
  test('finds each bug\'s failToPass on the fixture and writes them, keeping validations of unchanged lists', async () => {
    const m = await wrongManifest('real');
    const report = await discover({ targetDir: FIXTURE_TARGET, manifestPath: m, write: true });
    assert.equal(report.ok, true, JSON.stringify(report.bugs.map((b) => b.problems)));
    assert.equal(report.written, true);
    assert.deepEqual(report.bugs.map((b) => b.id), ['N1', 'R1', 'X1']);
    for (const b of report.bugs) assert.deepEqual(b.failToPass, expected.get(b.id), b.id);
    const r1 = report.bugs.find((b) => b.id === 'R1')!;
    assert.deepEqual(r1.removed, ['unit/stats.test.js › stats › finds the maximum']);
    assert.equal(r1.added.length, 2);
    const after = await loadManifest(m);
    for (const b of after.bugs) assert.deepEqual([...b.failToPass].sort(), expected.get(b.id), b.id);
    assert.ok(after.bugs.find((b) => b.id === 'N1')?.validation, 'an unchanged list keeps its validation');
    assert.equal(after.bugs.find((b) => b.id === 'R1')?.validation, undefined, 'a changed list loses its stale validation');
  });

  test('runs only the test files a bug\'s fix can affect, and finds what the whole suite finds', async () => {
    const m = await wrongManifest('affected');
    const labels: string[] = [];
    const report = await discover({ targetDir: FIXTURE_TARGET, manifestPath: m, progress: (e) => { if (e.phase === 'start') labels.push(e.label); } });
    assert.equal(report.ok, true, JSON.stringify(report.bugs.map((b) => b.problems)));
    for (const b of report.bugs) assert.deepEqual(b.failToPass, expected.get(b.id), b.id);
    assert.match(labels[1] ?? '', /^dependency map of the all-fixed tree/);
    const scoped = labels.filter((l) => / affected test file\(s\) \(run /.test(l));
    assert.ok(scoped.length > 0, `some bug ran a narrowed suite: ${labels.join(' | ')}`);
    const whole = await discover({ targetDir: FIXTURE_TARGET, manifestPath: m, full: true });
    assert.deepEqual(whole.bugs.map((b) => [b.id, b.failToPass]), report.bugs.map((b) => [b.id, b.failToPass]));
  });

  test('without --write it only reports; --bugs narrows the run', async () => {
    const m = await wrongManifest('dry');
    const before = await readFile(m, 'utf8');
    const { runner, calls } = await fakeJest(() => [...expected.get('X1')!]);
    const report = await discover({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['X1'], runner, full: true, repeat: 2 });
    assert.equal(calls(), 2);
    assert.equal(report.ok, true);
    assert.equal(report.written, false);
    assert.deepEqual(report.bugs.map((b) => [b.id, b.failToPass]), [['X1', expected.get('X1')]]);
    assert.equal(await readFile(m, 'utf8'), before);
  });

  test('runs that disagree, or a bug that fails nothing, are reported and never written', async () => {
    const m = await wrongManifest('flaky');
    const before = await readFile(m, 'utf8');
    const a = 'unit/stats.test.js › stats › sums values';
    const b = 'unit/stats.test.js › stats › finds the maximum';
    // N1: run 1 fails a, run 2 fails a and b; R1: nothing fails
    const { runner } = await fakeJest((call) => (call === 1 ? [a] : call === 2 ? [a, b] : []));
    const report = await discover({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1', 'R1'], runner, full: true, repeat: 2, write: true });
    assert.equal(report.ok, false);
    const [n1, r1] = report.bugs;
    assert.equal(n1?.stable, false);
    assert.deepEqual(n1?.unstable, [b]);
    assert.equal(n1?.written, false);
    assert.equal(r1?.ok, false);
    assert.match(r1?.problems.join() ?? '', /no test fails/);
    assert.equal(report.written, false);
    assert.equal(await readFile(m, 'utf8'), before);
  });

  test('--write also records the masking measured from the runs, for every active bug', async () => {
    const m = await wrongManifest('masking');
    const shared = expected.get('N1')![0]!;
    // with only N1 present its own test fails; with only X1 present, X1's tests and N1's test fail
    const { runner } = await fakeJest((call) => (call === 1 ? [shared] : [...expected.get('X1')!, shared]));
    const report = await discover({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1', 'X1'], runner, full: true, write: true });
    assert.equal(report.ok, true, JSON.stringify(report.bugs.map((b) => b.problems)));
    const byId = new Map(report.masking.map((x) => [x.id, x]));
    assert.deepEqual(byId.get('N1')?.dependsOn, ['X1']);
    assert.deepEqual(byId.get('X1')?.dependsOn, ['N1']);
    assert.deepEqual(byId.get('N1')?.maskedBy, { X1: 1 });
    assert.deepEqual(report.fullyMasked, ['N1']);
    const after = await loadManifest(m);
    assert.deepEqual(after.bugs.map((b) => [b.id, b.dependsOn]), [['N1', ['X1']], ['R1', []], ['X1', ['N1']]]);
  });

  test('a stopped discover keeps the lists it measured (written bug by bug)', async () => {
    const m = await wrongManifest('interrupted');
    const real = await fakeJest(() => expected.get('R1')!);
    const runner: CommandRunner = async (cmd, args, opts) => {
      if (path.basename(opts.cwd ?? '').endsWith('-only-X1')) throw new Error('the machine went away');
      return real.runner(cmd, args, opts);
    };
    await assert.rejects(discover({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['R1', 'X1'], runner, full: true, write: true }));
    const after = await loadManifest(m);
    assert.deepEqual([...after.bugs.find((b) => b.id === 'R1')!.failToPass].sort(), expected.get('R1'));
    assert.deepEqual(after.bugs.find((b) => b.id === 'X1')!.failToPass, ['unit/stats.test.js › stats › finds the maximum']);
  });

  test('the CLI command: progress on stderr, the report on stdout; a bad --repeat is a usage error', async () => {
    const m = await wrongManifest('cli');
    let stdout = '';
    let stderr = '';
    const sink = (append: (s: string) => void): Writable => new Writable({ write(chunk: Buffer, _enc, cb) { append(chunk.toString()); cb(); } });
    const code = await main(
      ['discover', '--bugs', 'N1', '--target', FIXTURE_TARGET, '--manifest', m, '--skip-preflight', '--json'],
      { stdout: sink((x) => { stdout += x; }), stderr: sink((x) => { stderr += x; }) as unknown as NodeJS.WriteStream, cwd: REPO },
    );
    assert.equal(code, 0, stdout + stderr);
    const json = JSON.parse(stdout) as { ok: boolean; bugs: Array<{ id: string; failToPass: string[] }> };
    assert.equal(json.ok, true);
    assert.deepEqual(json.bugs[0]?.failToPass, expected.get('N1'));
    assert.match(stderr, /only N1 present: 1 affected test file\(s\) \(run 1\/1\) ok/);
    stderr = '';
    const full = await main(
      ['discover', '--bugs', 'N1', '--full', '--target', FIXTURE_TARGET, '--manifest', m, '--skip-preflight', '--json'],
      { stdout: sink(() => {}), stderr: sink((x) => { stderr += x; }) as unknown as NodeJS.WriteStream, cwd: REPO },
    );
    assert.equal(full, 0, stderr);
    assert.match(stderr, /only N1 present: whole suite \(run 1\/1\) ok/);
    const bad = await main(['discover', '--repeat', '0', '--manifest', m, '--json'], { stdout: sink(() => {}), stderr: sink(() => {}) as unknown as NodeJS.WriteStream, cwd: REPO });
    assert.equal(bad, 2);
  });
});

test('verify and discover report a missing target as GRADER_ERR_FILE_NOT_FOUND', async () => {
  const targetDir = path.join(tmp.dir, 'no-such-target');
  const manifestPath = FIXTURE_MANIFEST;
  await assert.rejects(discover({ targetDir, manifestPath }), { code: 'GRADER_ERR_FILE_NOT_FOUND', message: `target not found: ${targetDir}` });
  await assert.rejects(verify({ targetDir, manifestPath, write: false }), { code: 'GRADER_ERR_FILE_NOT_FOUND', message: `target not found: ${targetDir}` });
});
