import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EnvClient, EnvClientError } from '../../environment/src/client/client.ts';
import { serve, type RunningServer } from '../../environment/src/server.ts';
import { FIXTURE, fix, SHARED_CACHE, tempDir } from './helpers.ts';
import { rm } from 'node:fs/promises';
import path from 'node:path';

// Over a real port, with the typed client and real per-episode namespaces.
describe('episodes over HTTP', () => {
  let server: RunningServer;
  let client: EnvClient;
  let stateDir: string;

  before(async () => {
    stateDir = await tempDir('dn-env-flow-');
    server = await serve({
      ...FIXTURE, port: 0, host: '127.0.0.1', stateDir, cacheDir: SHARED_CACHE,
      trajectoriesPath: path.join(stateDir, 'trajectories.sqlite'), namespacePoolSize: 1, logger: false,
    });
    client = new EnvClient({ baseUrl: server.url });
  });
  after(async () => {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('full: read, exec, patch a manifest fix, run the tests, see the bug fixed in the reward, submit', async () => {
    const { episodeId, observation, info } = await client.reset({ task: 'full', seed: 1 });
    assert.equal(info.mode, 'reward');
    assert.ok(observation.baseline.failing.includes('unit/stats.test.js › stats › mean › averages every sample'));

    const read = await client.step(episodeId, { type: 'read_file', path: 'src/stats.js' });
    assert.match(read.observation.type === 'read_file' ? read.observation.content ?? '' : '', /values\.length - 1/);
    const exec = await client.step(episodeId, { type: 'exec', command: 'node -e "console.log(require(\'./src/stats\').mean([2,4,6]))"; echo "$PIPELINE_DATABASE_URL"' });
    // the namespace's random id is shown as dn_episode and its principal (the role) as dn_principal,
    // so observations do not differ between episodes
    assert.equal(exec.observation.type === 'exec' && exec.observation.stdout, '6\npostgres://dn_principal@127.0.0.1:5432/dn_episode_pipeline\n');

    const before = await client.reward(episodeId);
    assert.deepEqual(before.report.bugs.find((b) => b.id === 'N1'), { id: 'N1', fixed: false, failToPass: { passed: 0, total: 1 } });

    const patch = await client.step(episodeId, { type: 'patch', diff: fix('N1') });
    assert.deepEqual(patch.observation.type === 'patch' && patch.observation.files, [{ path: 'src/stats.js', change: 'modified' }]);
    const tests = await client.step(episodeId, { type: 'run_tests', category: 'unit' });
    assert.equal(tests.observation.type === 'run_tests' && tests.observation.counts?.failed, 0);
    assert.equal(tests.reward, 0);

    const afterFix = await client.reward(episodeId);
    assert.deepEqual(afterFix.report.bugs.find((b) => b.id === 'N1'), { id: 'N1', fixed: true, failToPass: { passed: 1, total: 1 } });
    assert.ok(afterFix.report.grade.reward > before.report.grade.reward, `${afterFix.report.grade.reward} > ${before.report.grade.reward}`);
    assert.equal(afterFix.report.grade.regressionPenalty, 0);

    const done = await client.step(episodeId, { type: 'submit' });
    assert.equal(done.terminated, true);
    assert.equal(done.reward, afterFix.report.grade.reward);
    await assert.rejects(client.step(episodeId, { type: 'list_files' }), (e: unknown) => e instanceof EnvClientError && e.code === 'ENV_ERR_RESET_NEEDED');
    const ep = await client.episode(episodeId);
    assert.deepEqual([ep.status, ep.steps, ep.finalReward], ['terminated', 5, done.reward]);
  });

  test('bug:N1: the reward goes from 0 to 1', async () => {
    const { episodeId, info } = await client.reset({ task: 'bug:N1' });
    assert.equal(info.mode, 'resolved');
    assert.equal((await client.reward(episodeId)).report.grade.reward, 0);
    await client.step(episodeId, { type: 'patch', diff: fix('N1') });
    const r = await client.reward(episodeId);
    assert.equal(r.report.grade.reward, 1);
    assert.equal(r.report.grade.outcome, 'resolved');
    const done = await client.step(episodeId, { type: 'submit' });
    assert.equal(done.reward, 1);
    assert.equal((await client.reward(episodeId)).final, true);
  });

  test('the trajectory store recorded both episodes with digests, rewards and versions', async () => {
    await server.app.episodes.settled();
    const eps = [...server.app.trajectories.episodes()];
    assert.equal(eps.length, 2);
    const [full, bug] = eps;
    assert.equal(full!.task, 'full');
    assert.equal(full!.trajectory.length, 5);
    assert.match(full!.trajectory[0]!.observationDigest, /^[0-9a-f]{64}$/);
    assert.deepEqual(full!.trajectory.map((s) => s.reward).slice(0, 4), [0, 0, 0, 0]);
    assert.equal(full!.graderVersion, '0.1.0');
    assert.match(full!.taskHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(full!.grades.map((g) => g.kind), ['reward', 'reward', 'final']);
    assert.deepEqual([bug!.status, bug!.finalReward, bug!.outcome], ['terminated', 1, 'resolved']);
  });
});
