import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { FIXTURE, REPO, tempDir } from '../environment/fixtures.ts';

// The command outside scripts call: `datanexus-env eval` as a process, on the fixture.

const run = promisify(execFile);
const BIN = path.join(REPO, 'environment', 'bin', 'datanexus-env.js');

async function env(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd: REPO });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('datanexus-env eval (process)', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('dn-eval-cli-');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('runs an agent, prints progress and a JSON summary, writes the records', async () => {
    const out = path.join(dir, 'run');
    const r = await env(['eval', '--agent', 'noop', '--tasks', 'bug:N1', '--episodes', '2', '--seed', '7', '--out', out, '--json',
      '--target', FIXTURE.targetDir, '--manifest', FIXTURE.manifestPath, '--node-modules', FIXTURE.nodeModulesDir]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual([summary.episodes, summary.resolved, summary.unresolved, summary.infraErrors], [2, 0, 2, 0]);
    assert.match(r.stderr, /^eval .*: noop on 1 task\(s\) × 2 episode\(s\), 1 at a time/m);
    assert.match(r.stderr, /^\[2\/2\] noop bug:N1 seed 8: unresolved, reward 0\.000 in 1 step\(s\)/m);
    const lines = (await readFile(path.join(out, 'episodes.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.task, l.seed, l.episode]), [['bug:N1', 7, 0], ['bug:N1', 8, 1]]);
  });

  test('usage errors exit 2 and say what is missing; an unreachable server exits 1', async () => {
    const r = await env(['eval', '--tasks', 'full', '--out', path.join(dir, 'x')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ENV_ERR_INVALID_OPTION: --agent is required/);
    const bad = await env(['eval', '--agent', 'noop', '--tasks', 'full', '--out', path.join(dir, 'x'), '--concurrency', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency: expected an integer ≥ 1/);
    // a server that does not answer: an infrastructure error, and no run directory is made
    const down = await env(['eval', '--agent', 'noop', '--tasks', 'full', '--url', 'http://127.0.0.1:1', '--out', path.join(dir, 'down')]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /ENV_ERR_INFRA: cannot use the server at http:\/\/127\.0\.0\.1:1/);
    await assert.rejects(readFile(path.join(dir, 'down', 'run.json')), { code: 'ENOENT' });
  });
});
