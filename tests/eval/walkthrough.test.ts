import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { loadHostManifest } from '../../environment/src/eval/host-manifest.ts';
import { serve } from '../../environment/src/server.ts';
import { walkthroughPlan } from '../../environment/src/walkthrough/plan.ts';
import { blockEnds, replayWalkthrough } from '../../environment/src/walkthrough/replay.ts';
import { FIXTURE, REPO, tempDir } from '../environment/fixtures.ts';

// `datanexus-env walkthrough` as a process, on the mini fixture (scenario 01 = N1 + X1): the real
// scenario's replay (49 fixes, a graded suite after each) is the longer check `npm run walkthrough`.

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

describe('datanexus-env walkthrough (process, mini fixture)', () => {
  let scenarios: string;
  const fixtureArgs = (): string[] => ['--target', FIXTURE.targetDir, '--manifest', FIXTURE.manifestPath, '--node-modules', FIXTURE.nodeModulesDir, '--scenarios', scenarios];
  before(async () => {
    scenarios = await tempDir('dn-walkthrough-');
    await cp(path.join(REPO, 'tests', 'fixtures', 'mini-scenarios'), scenarios, { recursive: true });
  });
  after(async () => {
    await rm(scenarios, { recursive: true, force: true });
  });

  test('replays the fixes over HTTP, prints one line per fix, ends with every test passing and writes the curve into the document', async () => {
    const r = await env(['walkthrough', '01', '--write-doc', '--json', ...fixtureArgs()]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.task, 'scenario:01');
    assert.deepEqual(result.points.map((p: { bug: string | null }) => p.bug), [null, 'X1', 'N1']);
    const rewards: number[] = result.points.map((p: { reward: number }) => p.reward);
    for (let i = 1; i < rewards.length; i += 1) assert.ok(rewards[i]! > rewards[i - 1]!, `reward rises at each fix: ${rewards.join(' → ')}`);
    assert.equal(result.final.passed, result.final.total);
    assert.equal(result.final.outcome, 'resolved');
    assert.ok(result.final.reward >= 1);
    // progress: the order, then one line per point, on stderr with --json
    assert.match(r.stderr, /^scenario:01: 2 bugs, fix order \(derived from the manifest's dependsOn\): X1 N1$/m);
    assert.match(r.stderr, /^ {2}1 {2}fix X1 +\(shared\) +reward \d\.\d{3} \(\+\d\.\d{3}\)/m);
    const doc = await readFile(path.join(scenarios, '01-mini-incident.walkthrough.md'), 'utf8');
    assert.match(doc, /\| 2 \| N1 \| shared \| \d\.\d{3} \| \+\d\.\d{3} \|/);
    assert.match(doc, /final reward \*\*\d\.\d{3}\*\* \(resolved/);
    assert.match(doc, /WALKTHROUGH-SENTINEL-7f3a/, 'text outside the markers is kept');
  });

  test('--order-only prints the plan without a server; a planned scenario and a bad number are usage errors', async () => {
    const plan = await env(['walkthrough', '01', '--order-only', ...fixtureArgs()]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /fix order \(derived from the manifest's dependsOn\): X1 N1/);
    const planned = await env(['walkthrough', '02', '--order-only', ...fixtureArgs()]);
    assert.equal(planned.code, 2);
    assert.match(planned.stderr, /ENV_ERR_INVALID_OPTION: scenario 02 is planned/);
    const bad = await env(['walkthrough', 'one']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected one scenario number, e\.g\. 01/);
  });
});

describe('walkthrough --blocks', () => {
  test('grades once per masking group: the fixes of a group show as one point, bugs masked by nothing as their own', () => {
    const plan = { order: ['L1', 'L2', 'L3', 'P2'], groups: [['L1', 'L2', 'L3'], ['P2']] };
    assert.deepEqual([...blockEnds(plan)].sort(), ['L3', 'P2']);
    assert.deepEqual([...blockEnds({ order: ['A', 'B'], groups: [] })].sort(), ['A', 'B']);
  });

  test('over HTTP: a block of two fixes is one point, graded after its last fix, and the replay still ends resolved', async () => {
    const scenarios = await tempDir('dn-walkthrough-blocks-');
    const state = await tempDir('dn-walkthrough-state-');
    await cp(path.join(REPO, 'tests', 'fixtures', 'mini-scenarios'), scenarios, { recursive: true });
    const server = await serve({
      port: 0, host: '127.0.0.1', logger: false, targetDir: FIXTURE.targetDir, manifestPath: FIXTURE.manifestPath,
      nodeModulesDir: FIXTURE.nodeModulesDir, scenariosDir: scenarios, stateDir: state,
    });
    try {
      const plan = await walkthroughPlan({ manifestPath: FIXTURE.manifestPath, scenariosDir: scenarios, id: '01' });
      const manifest = await loadHostManifest(FIXTURE.manifestPath);
      // the mini scenario's two bugs do not mask each other: treat them as one group to see a block
      const result = await replayWalkthrough({ url: server.url, plan: { ...plan, groups: [plan.order] }, fixOf: (id) => manifest.fixOf(id), blocks: true });
      assert.deepEqual(result.points.map((p) => [p.step, p.fixes]), [[0, []], [2, ['X1', 'N1']]]);
      assert.ok(result.points[1]!.reward > result.points[0]!.reward);
      assert.equal(result.final.outcome, 'resolved');
      assert.equal(result.final.passed, result.final.total);
    } finally {
      await server.close();
      await rm(scenarios, { recursive: true, force: true });
      await rm(state, { recursive: true, force: true });
    }
  });

  test('--blocks with --write-doc is a usage error: the document\'s curve is per fix', async () => {
    const r = await env(['walkthrough', '01', '--blocks', '--write-doc']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ENV_ERR_INVALID_OPTION: --blocks and --write-doc/);
  });
});
