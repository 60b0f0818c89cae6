import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fix, reset, stepOk, testApp, type TestEnv } from './helpers.ts';
import { DEFAULT_NAMESPACE_MODULE } from '../../environment/src/paths.ts';

// Gymnasium's determinism check: same task, same seed, same actions → same observations and
// rewards. `info` (durations, the grade's cache flag) is diagnostic and left out on purpose.

const ACTIONS: Array<Record<string, unknown>> = [
  { type: 'list_files' },
  { type: 'read_file', path: 'src/stats.js', startLine: 9 },
  { type: 'search', pattern: 'values\\.length' },
  { type: 'exec', command: 'printenv | grep -v -E "^(PWD|SHLVL|_|OLDPWD)=" | sort; id; ls; echo $DN_SEED' },
  { type: 'run_tests', category: 'unit' },
  { type: 'patch', diff: fix('N1') },
  { type: 'exec', command: 'node -e "console.log(require(\'./src/stats\').mean([1, 2, 3, 4]))"' },
  { type: 'submit' },
];

let env: TestEnv;
before(async () => {
  env = await testApp({ namespaceModule: DEFAULT_NAMESPACE_MODULE });
});
after(async () => env.close());

async function play(seed: number, actions = ACTIONS): Promise<{ first: unknown; steps: Array<{ observation: unknown; reward: number; terminated: boolean; truncated: boolean }> }> {
  const r = await reset(env.app, { task: 'full', seed });
  const steps = [];
  for (const action of actions) {
    const s = await stepOk(env.app, r.episodeId, action);
    steps.push({ observation: s.observation, reward: s.reward, terminated: s.terminated, truncated: s.truncated });
  }
  return { first: r.observation, steps };
}

test('same task, seed and actions give the same observations and rewards', async () => {
  const a = await play(42);
  const b = await play(42);
  assert.deepEqual(b.first, a.first);
  for (const [i, s] of a.steps.entries()) assert.deepEqual(b.steps[i], s, `step ${i + 1} (${String(ACTIONS[i]!.type)})`);
  assert.equal(a.steps.at(-1)!.terminated, true);
  assert.ok(a.steps.at(-1)!.reward > 0);
});

test('the seed reaches the sandbox as DN_SEED', async () => {
  const a = await play(7, [ACTIONS[3]!, { type: 'submit' }]);
  const exec = a.steps[0]!.observation as { stdout: string };
  assert.match(exec.stdout, /DN_SEED=7\n/);
});
