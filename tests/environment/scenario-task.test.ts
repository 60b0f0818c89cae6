import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, REPO, reset, stepOk, testApp, type TestEnv } from './helpers.ts';

// A scenario task played through the app (app.inject) on the mini fixture: tests/fixtures/mini-scenarios
// makes scenario 01 of N1 and X1 (R1 fixed) and lists a planned scenario 02.

const SCENARIOS = path.join(REPO, 'tests', 'fixtures', 'mini-scenarios');
const SENTINEL = 'WALKTHROUGH-SENTINEL-7f3a';

describe('task scenario:01 (mini fixture)', () => {
  let env: TestEnv;
  before(async () => {
    env = await testApp({ scenariosDir: SCENARIOS });
  });
  after(async () => {
    await env.close();
  });

  test('GET /v1/tasks lists the playable scenario after the bug tasks, in reward mode; the planned one is absent', async () => {
    const r = await call(env.app, 'GET', '/v1/tasks');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.tasks.map((t: { id: string }) => t.id), ['full', 'bug:N1', 'bug:R1', 'bug:X1', 'scenario:01']);
    const task = r.body.tasks[4];
    assert.deepEqual([task.kind, task.mode, task.title], ['scenario', 'reward', 'Scenario 01: Mini incident']);
    assert.equal(task.description, (await readFile(path.join(SCENARIOS, '01-mini-incident.md'), 'utf8')).trim());
  });

  test('reset without hints gives the incident alone; hints="hints" adds the hints section; a bug task has none to add', async () => {
    const plain = await reset(env.app, { task: 'scenario:01' });
    assert.doesNotMatch(plain.observation.description, /## Hints/);
    assert.match(plain.observation.description, /^# Incident: averages read high/);
    const none = await reset(env.app, { task: 'scenario:01', options: { hints: 'none' } });
    assert.equal(none.observation.description, plain.observation.description);
    const hinted = await reset(env.app, { task: 'scenario:01', options: { hints: 'hints' } });
    assert.ok(hinted.observation.description.startsWith(plain.observation.description));
    assert.match(hinted.observation.description, /\n\n## Hints\n\nStart from the statistics helpers/);
    const refused = await call(env.app, 'POST', '/v1/reset', { task: 'bug:N1', options: { hints: 'hints' } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'ENV_ERR_VALIDATION');
    assert.match(refused.body.message, /task bug:N1 has no hints/);
    const invalid = await call(env.app, 'POST', '/v1/reset', { task: 'scenario:01', options: { hints: 'all' } });
    assert.equal(invalid.status, 400);
    for (const ep of [plain, none, hinted]) await call(env.app, 'DELETE', `/v1/episodes/${ep.episodeId}`);
  });

  test('the workspace holds the scenario\'s bugs and none of the scenario files', async () => {
    const ep = await reset(env.app, { task: 'scenario:01' });
    assert.deepEqual(ep.observation.files, ['jest.config.js', 'node_modules/', 'package.json', 'src/', 'tests/']);
    // N1 and X1 fail at the start, R1 (not in the scenario) is fixed
    assert.ok(ep.observation.baseline.failing.some((id: string) => id.startsWith('unit/stats.test.js')));
    assert.ok(ep.observation.baseline.failing.some((id: string) => id.startsWith('security/paths.test.js')));
    assert.ok(!ep.observation.baseline.failing.some((id: string) => id.startsWith('chaos/retry.test.js')));
    const found = await stepOk(env.app, ep.episodeId, { type: 'search', pattern: SENTINEL });
    assert.deepEqual(found.observation.matches, []);
    const hints = await stepOk(env.app, ep.episodeId, { type: 'search', pattern: 'Start from the statistics helpers' });
    assert.deepEqual(hints.observation.matches, []);
    const listing = await stepOk(env.app, ep.episodeId, { type: 'exec', command: 'find / -xdev \\( -name "*walkthrough*" -o -name "mini-scenarios" -o -name "index.schema.json" \\) 2>/dev/null | grep -v "^/proc" || true' });
    assert.equal(listing.observation.stdout.trim(), '');
    await call(env.app, 'DELETE', `/v1/episodes/${ep.episodeId}`);
  });

  test('the no-op submission gets the baseline: the reward of the untouched workspace, no bug fixed', async () => {
    const ep = await reset(env.app, { task: 'scenario:01', seed: 3 });
    const before = await call(env.app, 'POST', '/v1/reward', { episodeId: ep.episodeId });
    assert.equal(before.status, 200);
    const done = await stepOk(env.app, ep.episodeId, { type: 'submit' });
    assert.equal(done.terminated, true);
    assert.equal(done.reward, before.body.report.grade.reward);
    assert.deepEqual(done.info.grade.grade.bugsFixed, []);
    assert.equal(done.info.grade.grade.outcome, 'unresolved');
    assert.equal(done.info.grade.grade.regressionPenalty, 0);
    assert.deepEqual(done.info.grade.bugs.map((b: { id: string }) => b.id).sort(), ['N1', 'X1']);
  });
});
