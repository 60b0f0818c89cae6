import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { DEPMAP_VERSION, type DepMap } from '../../grader/src/index.ts';
import { merge, statusDifferences } from '../../environment/src/grading/incremental.ts';
import { resolveOptions } from '../../environment/src/options.ts';
import { call, fix, reset, stepOk, tempDir, testApp, type TestEnv } from './helpers.ts';

// Incremental grading through the server (bwrap sandbox, the fixture target), every grade
// cross-checked against a full run.
describe('incremental grading in the environment', () => {
  let env: TestEnv;
  let cacheDir: string;
  before(async () => {
    // a cache of its own: the task's map is recorded here, by a baseline run or on demand
    cacheDir = await tempDir('dn-env-inc-cache-');
    env = await testApp({ cacheDir, gradeCache: false, gradingCrossCheckEvery: 1 });
  });
  after(async () => {
    await env.close();
    await rm(cacheDir, { recursive: true, force: true });
  });
  const health = async (): Promise<Record<string, number | string>> => (await call(env.app, 'GET', '/health')).body.grading;

  test('a one-file gold fix is graded incrementally, and the full cross-check agrees', async () => {
    assert.deepEqual(await health(), { mode: 'incremental', crossCheckEvery: 1, incremental: 0, full: 0, crossChecks: 0, crossCheckMismatches: 0 });
    const { episodeId } = await reset(env.app, { task: 'bug:R1' });
    await stepOk(env.app, episodeId, { type: 'patch', diff: fix('R1') });
    const r = await call(env.app, 'POST', '/v1/reward', { episodeId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.report.grade.reward, 1);
    assert.equal(r.body.report.grade.outcome, 'resolved');
    const h = await health();
    assert.equal(h.incremental, 1);
    assert.equal(h.crossChecks, 1);
    assert.equal(h.crossCheckMismatches, 0);
  });

  test('a map that misses a dependency is caught by the cross-check: logged, counted, and the full result is the grade', async () => {
    const { episodeId } = await reset(env.app, { task: 'bug:R1' });
    const task = await env.app.tasks.get('bug:R1');
    const tree = await env.app.tasks.tree(task);
    // a map claiming no test file read anything: the incremental grade would be the baseline (reward 0)
    const blind: DepMap = { version: DEPMAP_VERSION, treeHash: tree.contentHash, dirs: ['.'], files: { 'tests/chaos/retry.test.js': { read: [], listed: [] } } };
    await env.app.grading.incremental.keep(tree, blind);
    await stepOk(env.app, episodeId, { type: 'patch', diff: fix('R1') });
    const r = await call(env.app, 'POST', '/v1/reward', { episodeId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.report.grade.reward, 1, 'the full run won');
    const h = await health();
    assert.equal(h.crossCheckMismatches, 1);
    assert.equal(h.crossChecks, 2);
  });

  test('grading: full runs the whole suite; a bad mode is refused', async () => {
    assert.throws(() => resolveOptions({ grading: 'partial' as 'full' }), /option grading/);
    assert.equal(resolveOptions({}).grading, 'incremental');
    assert.equal(resolveOptions({}).gradingCrossCheckEvery, 10);
    const full = await testApp({ grading: 'full', gradeCache: false });
    try {
      const { episodeId } = await reset(full.app, { task: 'bug:N1' });
      await stepOk(full.app, episodeId, { type: 'patch', diff: fix('N1') });
      assert.equal((await call(full.app, 'POST', '/v1/reward', { episodeId })).body.report.grade.reward, 1);
      const h = (await call(full.app, 'GET', '/health')).body.grading;
      assert.deepEqual([h.mode, h.full, h.incremental], ['full', 1, 0]);
    } finally {
      await full.close();
    }
  });
});

describe('merging a partial run into the baseline', () => {
  const t = (id: string, status: 'passed' | 'failed') => ({ id, category: 'unit' as const, status });
  test('files that ran take their fresh results; the rest keep the baseline\'s; ids stay sorted', () => {
    const baseline = { tests: [t('unit/a.test.js › x', 'failed'), t('unit/b.test.js › y', 'passed'), t('unit/c.test.js › z', 'failed')] };
    const fresh = { tests: [t('unit/a.test.js › x', 'passed')] };
    const merged = merge(baseline, fresh, new Set(['tests/unit/a.test.js']));
    assert.deepEqual(merged.tests.map((x) => `${x.id}:${x.status}`), ['unit/a.test.js › x:passed', 'unit/b.test.js › y:passed', 'unit/c.test.js › z:failed']);
    assert.deepEqual(statusDifferences(merged, baseline), ['unit/a.test.js › x: passed → failed']);
    assert.deepEqual(statusDifferences(merged, { tests: merged.tests.slice(1) }), ['unit/a.test.js › x: passed → absent']);
  });
});
