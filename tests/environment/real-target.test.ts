import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activeBugs, loadManifest, testPathOf, type BugEntry } from '@datanexus/grader';
import { EnvClient } from '../../environment/src/client/client.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_STATE_DIR } from '../../environment/src/paths.ts';
import { serve, type RunningServer } from '../../environment/src/server.ts';
import { tempDir } from './fixtures.ts';

// The done-criteria flow on the real target and manifest. Every uncached grade is a run of the
// whole suite (minutes), so this file runs only when asked: DN_ENV_REAL_TARGET=1.
const enabled = process.env.DN_ENV_REAL_TARGET === '1';
let bug: BugEntry | undefined;
let problem: string | undefined;
if (enabled) {
  try {
    // a bug none of whose tests another bug also fails: fixing it alone fixes it in the full tree too
    const active = activeBugs(await loadManifest(DEFAULT_MANIFEST_PATH));
    bug = active.find((b) => !active.some((o) => o.id !== b.id && o.failToPass.some((id) => b.failToPass.includes(id))));
  } catch (err) {
    problem = `the manifest cannot be loaded: ${(err as Error).message}`;
  }
}
const skip = !enabled ? 'set DN_ENV_REAL_TARGET=1 to run the real suite (minutes per grade)' : problem ?? (!bug ? 'the manifest has no active bug yet' : false);

describe('the real target', { skip }, () => {
  let server: RunningServer;
  let client: EnvClient;
  let stateDir: string;
  let diff: string;
  before(async () => {
    stateDir = await tempDir('dn-env-real-');
    server = await serve({ port: 0, stateDir, cacheDir: path.join(DEFAULT_STATE_DIR, 'cache'), trajectoriesPath: ':memory:', logger: false });
    client = new EnvClient(server.url);
    diff = await readFile(path.join(path.dirname(DEFAULT_MANIFEST_PATH), bug!.fix), 'utf8');
  });
  after(async () => {
    await server?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('full: read, exec, patch a manifest fix, run its tests, the reward shows it fixed, submit ends', async () => {
    const { episodeId } = await client.reset({ task: 'full' });
    const read = await client.step(episodeId, { type: 'read_file', path: bug!.files[0]! });
    assert.equal(read.observation.type === 'read_file' && read.observation.ok, true);
    const exec = await client.step(episodeId, { type: 'exec', command: 'ls services | wc -l; node -v' });
    assert.equal(exec.observation.type === 'exec' && exec.observation.exitCode, 0);
    const before = await client.reward(episodeId);
    assert.equal(before.report.bugs.find((b) => b.id === bug!.id)!.fixed, false);
    const patch = await client.step(episodeId, { type: 'patch', diff });
    assert.equal(patch.observation.type === 'patch' && patch.observation.ok, true);
    const tests = await client.step(episodeId, { type: 'run_tests', files: [...new Set(bug!.failToPass.map(testPathOf))] });
    assert.equal(tests.observation.type === 'run_tests' && tests.observation.ok, true);
    const after = await client.reward(episodeId);
    assert.equal(after.report.bugs.find((b) => b.id === bug!.id)!.fixed, true);
    const done = await client.step(episodeId, { type: 'submit' });
    assert.equal(done.terminated, true);
    assert.equal(done.reward, after.report.grade.reward);
  });

  test(`bug:<ID>: the reward goes from 0 to 1`, async () => {
    const { episodeId } = await client.reset({ task: `bug:${bug!.id}` });
    assert.equal((await client.reward(episodeId)).report.grade.reward, 0);
    await client.step(episodeId, { type: 'patch', diff });
    const done = await client.step(episodeId, { type: 'submit' });
    assert.equal(done.reward, 1);
  });
});
