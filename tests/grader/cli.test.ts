import assert from 'node:assert/strict';
import { existsSync, lstatSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { Writable } from 'node:stream';
import { main } from '../../grader/src/cli.ts';
import { symlink } from 'node:fs/promises';
import { CLI, copyManifestDir, copyTarget, FIXTURE_TARGET, REPO, TARGET_NODE_MODULES, tempDir } from './helpers.ts';

interface CliResult { exitCode: number | undefined; stdout: string; stderr: string; json: Record<string, unknown> }

async function cli(args: string[], cwd = REPO): Promise<CliResult> {
  const r = await execa('node', [CLI, ...args], { cwd, reject: false, env: { NODE_TEST_CONTEXT: undefined }, extendEnv: true });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    // not every invocation asks for JSON
  }
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, json };
}

/** The same entry point in-process (parsing, printing, exit codes), for checks that need no real process. */
async function inProcess(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void): Writable => new Writable({ write(chunk: Buffer, _enc, cb) { append(chunk.toString()); cb(); } });
  const err = sink((x) => { stderr += x; }) as unknown as NodeJS.WriteStream;
  const exitCode = await main(args, { stdout: sink((x) => { stdout += x; }), stderr: err, cwd: REPO });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    // text output
  }
  return { exitCode, stdout, stderr, json };
}

const error = (r: CliResult): { code: string; message: string } => r.json.error as { code: string; message: string };

let tmp: { dir: string; cleanup: () => Promise<void> };
let manifest: string;
let resultsFile: string;
let tree: string;

before(async () => {
  tmp = await tempDir('grader-cli-');
  manifest = await copyManifestDir(tmp.dir);
  // a workspace-like copy of the shipped fixture with the target's node_modules linked in
  tree = await copyTarget(tmp.dir, 'workspace');
  await symlink(TARGET_NODE_MODULES, path.join(tree, 'node_modules'), 'dir');
  resultsFile = path.join(tmp.dir, 'hand-made.json');
  await writeFile(resultsFile, JSON.stringify({
    tests: [
      { id: 'unit/stats.test.js › stats › mean › averages every sample', category: 'unit', status: 'passed' },
      { id: 'unit/stats.test.js › stats › sums values', category: 'unit', status: 'passed' },
      { id: 'chaos/retry.test.js › retry under faults › gives up after the allowed attempts with the last error', category: 'chaos', status: 'failed' },
    ],
  }));
});
after(async () => { await tmp.cleanup(); });

describe('datanexus-grader CLI', () => {
  test('npx datanexus-grader is linked at the root', () => {
    const link = path.join(REPO, 'node_modules', '.bin', 'datanexus-grader');
    assert.ok(lstatSync(link).isSymbolicLink());
  });

  test('score --json prints the grade and exits 0', async () => {
    const r = await cli(['score', '--results', resultsFile, '--manifest', manifest, '--json']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    // unit 2/2 (2), chaos 0/1 (3): p = 2 / 5 = 0.40 → 0.22; unit complete +0.03; N1 fixed: 1 of 2 bonus bugs → +0.05
    assert.equal(r.json.weightedPassRate, 0.4);
    assert.equal(r.json.base, 0.22);
    assert.equal(r.json.categoryBonus, 0.03);
    assert.equal(r.json.bugBonus, 0.05);
    assert.equal(r.json.reward, 0.3);
    assert.deepEqual(r.json.bugsFixed, ['N1']);
    for (const key of ['weightedPassRate', 'base', 'categoryBonus', 'chaosBonus', 'bugBonus', 'efficiencyBonus', 'regressionPenalty', 'reward', 'categories', 'bugsFixed']) {
      assert.ok(key in r.json, key);
    }
  });

  test('score with a baseline, steps and resolved mode', async () => {
    const r = await inProcess(['score', '--results', resultsFile, '--baseline', resultsFile, '--steps', '3', '--max-steps', '10', '--mode', 'resolved', '--task-bugs', 'N1', '--manifest', manifest, '--json']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.json.reward, 1);
    assert.equal(r.json.mode, 'resolved');
    const text = await inProcess(['score', '--results', resultsFile, '--manifest', manifest]);
    assert.match(text.stdout, /^reward 0\.3 \(reward mode, unresolved\)/);
  });

  test('usage errors exit 2 with GRADER_ERR_USAGE / GRADER_ERR_INVALID_OPTION', async () => {
    const missing = await cli(['score', '--json']);
    assert.equal(missing.exitCode, 2);
    assert.equal(error(missing).code, 'GRADER_ERR_USAGE');
    const unknownCommand = await inProcess(['frobnicate', '--json']);
    assert.equal(unknownCommand.exitCode, 2);
    assert.equal(error(unknownCommand).code, 'GRADER_ERR_USAGE');
    const unknownFlag = await inProcess(['score', '--results', resultsFile, '--bogus', '--json']);
    assert.equal(unknownFlag.exitCode, 2);
    const extraArg = await inProcess(['score', 'stray', '--results', resultsFile, '--json']);
    assert.equal(extraArg.exitCode, 2);
    const badSteps = await inProcess(['score', '--results', resultsFile, '--steps', 'x', '--max-steps', '4', '--json']);
    assert.equal(badSteps.exitCode, 2);
    assert.equal(error(badSteps).code, 'GRADER_ERR_INVALID_OPTION');
    const lonelySteps = await inProcess(['score', '--results', resultsFile, '--steps', '3', '--json']);
    assert.equal(error(lonelySteps).code, 'GRADER_ERR_INVALID_OPTION');
    const noJobs = await inProcess(['verify', '--jobs', '0', '--json']);
    assert.equal(noJobs.exitCode, 2);
    assert.equal(error(noJobs).code, 'GRADER_ERR_INVALID_OPTION');
    const badCategory = await inProcess(['run', FIXTURE_TARGET, '--category', 'lint', '--json']);
    assert.equal(error(badCategory).code, 'GRADER_ERR_INVALID_OPTION');
    const text = await inProcess(['score']);
    assert.equal(text.exitCode, 2);
    assert.match(text.stderr, /GRADER_ERR_USAGE: score: --results is required/);
  });

  test('failures exit 1 with a stable code', async () => {
    const dup = path.join(tmp.dir, 'dup.json');
    const t = { id: 'unit/a.test.js › x', category: 'unit', status: 'passed' };
    await writeFile(dup, JSON.stringify({ tests: [t, t] }));
    const r1 = await cli(['score', '--results', dup, '--manifest', manifest, '--json']);
    assert.equal(r1.exitCode, 1);
    assert.equal(error(r1).code, 'GRADER_ERR_RESULTS_INVALID');
    const r2 = await inProcess(['score', '--results', path.join(tmp.dir, 'none.json'), '--json']);
    assert.equal(r2.exitCode, 1);
    assert.equal(error(r2).code, 'GRADER_ERR_FILE_NOT_FOUND');
    const r3 = await inProcess(['materialize', '--bugs', 'Q7', '--out', path.join(tmp.dir, 'm'), '--target', FIXTURE_TARGET, '--manifest', manifest, '--json']);
    assert.equal(r3.exitCode, 1);
    assert.equal(error(r3).code, 'GRADER_ERR_UNKNOWN_BUG');
    const r4 = await inProcess(['materialize', '--bugs', 'none', '--out', path.join(tmp.dir, 'm'), '--target', FIXTURE_TARGET, '--manifest', manifest]);
    assert.equal(r4.exitCode, 0);
    const r5 = await inProcess(['materialize', '--bugs', 'none', '--out', path.join(tmp.dir, 'm'), '--target', FIXTURE_TARGET, '--manifest', manifest]);
    assert.equal(r5.exitCode, 1);
    assert.match(r5.stderr, /^datanexus-grader: GRADER_ERR_OUT_EXISTS: /);
  });

  test('materialize --json', async () => {
    const out = path.join(tmp.dir, 'mat');
    const r = await inProcess(['materialize', '--bugs', 'N1,X1', '--out', out, '--target', FIXTURE_TARGET, '--manifest', manifest, '--json']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json.bugsPresent, ['N1', 'X1']);
    assert.match(String(r.json.contentHash), /^[0-9a-f]{64}$/);
    assert.ok(existsSync(path.join(out, 'src', 'retry.js')));
  });

  test('run and grade a tree: results.json, then the grade with its content hash', async () => {
    const out = path.join(tmp.dir, 'results.json');
    const run = await cli(['run', tree, '--target', FIXTURE_TARGET, '--manifest', manifest, '--out', out, '--skip-preflight', '--json']);
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.deepEqual(run.json.summary, { passed: 7, failed: 3, skipped: 0, missing: 3, error: 0, total: 13 });
    const written = JSON.parse(await readFile(out, 'utf8')) as { tests: Array<{ status: string }> };
    assert.equal(written.tests.length, 13);

    const grade = await inProcess(['grade', tree, '--target', FIXTURE_TARGET, '--manifest', manifest, '--baseline', out, '--skip-preflight', '--json']);
    assert.equal(grade.exitCode, 0, grade.stdout + grade.stderr);
    assert.equal(grade.json.outcome, 'unresolved');
    assert.equal(grade.json.regressionPenalty, 0);
    assert.equal(grade.json.weightedPassRate, 0.382979);
    assert.equal(grade.json.reward, 0.12);
    assert.match(String(grade.json.contentHash), /^[0-9a-f]{64}$/);
  });

  test('grade of a tree jest cannot run is an infra-error grade (reward null), exit 1', async () => {
    const r = await inProcess(['grade', path.dirname(manifest), '--target', FIXTURE_TARGET, '--manifest', manifest, '--skip-preflight', '--json']);
    assert.equal(r.exitCode, 1);
    assert.equal(r.json.outcome, 'infra-error');
    assert.equal(r.json.reward, null);
    assert.equal(error(r).code, 'GRADER_ERR_JEST_NOT_FOUND');
    const run = await inProcess(['run', path.dirname(manifest), '--target', FIXTURE_TARGET, '--manifest', manifest, '--out', path.join(tmp.dir, 'never.json'), '--skip-preflight', '--json']);
    assert.equal(run.exitCode, 1);
    assert.equal(error(run).code, 'GRADER_ERR_JEST_NOT_FOUND');
    assert.ok(!existsSync(path.join(tmp.dir, 'never.json')), 'no results file for a run that did not happen');
  });

  test('verify: progress lines on stderr, the report on stdout, exit 0 when it verifies', async () => {
    const r = await cli(['verify', '--bugs', 'N1', '--quick', '--dry-run', '--target', FIXTURE_TARGET, '--manifest', manifest, '--skip-preflight', '--json']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.equal(r.json.ok, true);
    assert.match(r.stderr, /^\[1\/5\] inventory of the pristine suite ok/m);
    assert.match(r.stderr, /^\[5\/5\] only N1 present: exactly its 1 failToPass test\(s\) fail \(in 1 file\(s\)\) \(run 1\/1\) ok/m);
    assert.ok(!r.stderr.includes('\r'), 'no carriage returns when stderr is not a terminal');
    assert.ok(!existsSync(path.join(path.dirname(manifest), 'verify-report.json')), '--dry-run writes nothing');
  });

  test('verify exits 1 with the error code when a fix is not the recorded one', async () => {
    const m = await copyManifestDir(path.join(tmp.dir, 'tampered'));
    await writeFile(path.join(path.dirname(m), 'fixes', 'X1.patch'), 'not the patch\n');
    const r = await inProcess(['verify', '--quick', '--target', FIXTURE_TARGET, '--manifest', m, '--skip-preflight', '--json']);
    assert.equal(r.exitCode, 1);
    assert.equal(error(r).code, 'GRADER_ERR_FIX_SHA_MISMATCH');
  });

  test('--help and --version', async () => {
    const help = await inProcess(['--help']);
    assert.equal(help.exitCode, 0);
    for (const c of ['run', 'score', 'grade', 'materialize', 'verify', 'inventory']) assert.match(help.stdout, new RegExp(`datanexus-grader ${c} `));
    const v = await inProcess(['--version', '--json']);
    assert.deepEqual(v.json, { version: '0.1.0' });
  });
});
