// npm run example: a scripted episode. It starts the environment server, resets a one-bug task,
// shows the reward (0), fixes the bug with the manifest's own patch (the trainer's answer key,
// which the agent never sees), runs the bug's tests, shows the reward again (1) and submits.
//
//   npm run example                      first active bug of bug-manifest/, on target/
//   npm run example -- --bug N1          a given bug
//   npm run example -- --fixture         the small fixture target (tests/fixtures/mini-*)
//   npm run example -- --url http://…    against a server that is already running
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { activeBugs, loadManifest, testPathOf } from '@datanexus/grader';
import { EnvClient } from '../src/client/client.ts';
import { DEFAULT_STATE_DIR, REPO_ROOT } from '../src/paths.ts';
import { serve, type RunningServer } from '../src/server.ts';

const { values } = parseArgs({ options: { bug: { type: 'string' }, fixture: { type: 'boolean' }, url: { type: 'string' } } });

let manifestPath = path.join(REPO_ROOT, 'bug-manifest', 'manifest.json');
let targetDir = path.join(REPO_ROOT, 'target');
let manifest = await loadManifest(manifestPath);
if (values.fixture || activeBugs(manifest).length === 0) {
  if (!values.fixture) console.log('bug-manifest/manifest.json has no active bug yet: using the fixture target (tests/fixtures/mini-target)\n');
  manifestPath = path.join(REPO_ROOT, 'tests', 'fixtures', 'mini-manifest', 'manifest.json');
  targetDir = path.join(REPO_ROOT, 'tests', 'fixtures', 'mini-target');
  manifest = await loadManifest(manifestPath);
}
const bug = values.bug ? activeBugs(manifest).find((b) => b.id === values.bug) : activeBugs(manifest)[0];
if (!bug) throw new Error(`no active bug ${values.bug ?? ''} in ${manifestPath}`);

let server: RunningServer | undefined;
let cleanup = async (): Promise<void> => undefined;
if (!values.url) {
  // its own state directory (a server may be running on the default one), the shared result cache
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'dn-example-'));
  await chmod(stateDir, 0o755);
  cleanup = () => rm(stateDir, { recursive: true, force: true });
  server = await serve({
    port: 0, targetDir, manifestPath, nodeModulesDir: path.join(REPO_ROOT, 'target', 'node_modules'), logger: false,
    stateDir, cacheDir: path.join(DEFAULT_STATE_DIR, 'cache'), trajectoriesPath: path.join(DEFAULT_STATE_DIR, 'trajectories.sqlite'),
  });
}
const env = new EnvClient(values.url ?? server!.url);
const show = (label: string, value: unknown): void => console.log(`${label.padEnd(28)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);

try {
  const { episodeId, observation, info } = await env.reset({ task: `bug:${bug.id}`, seed: 0 });
  show('task', `${info.task} (${info.mode} mode, ${info.maxSteps} steps, sandbox ${info.sandbox})`);
  show('description', observation.description);
  show('baseline', `${observation.baseline.counts.passed}/${observation.baseline.counts.total} tests pass`);

  const before = await env.reward(episodeId);
  show('reward before the fix', before.report.grade.reward);

  const file = bug.files[0]!;
  const read = await env.step(episodeId, { type: 'read_file', path: file });
  show(`read_file ${file}`, read.observation.type === 'read_file' ? `${read.observation.totalLines} lines` : read.observation);

  const diff = await readFile(path.join(path.dirname(manifestPath), bug.fix), 'utf8');
  const patch = await env.step(episodeId, { type: 'patch', diff });
  show('patch (the manifest fix)', patch.observation.type === 'patch' && patch.observation.ok ? patch.observation.files : patch.observation);

  const files = [...new Set(bug.failToPass.map(testPathOf))];
  const tests = await env.step(episodeId, { type: 'run_tests', files });
  show('run_tests (the bug\'s files)', tests.observation.type === 'run_tests' ? tests.observation.counts : tests.observation);

  const after = await env.reward(episodeId);
  show('reward after the fix', after.report.grade.reward);
  show('bug progress', after.report.bugs);

  const done = await env.step(episodeId, { type: 'submit' });
  show('submit', { reward: done.reward, terminated: done.terminated, outcome: done.observation.type === 'submit' ? done.observation.outcome : undefined });
  show('reward change', `${before.report.grade.reward} → ${done.reward}`);
} finally {
  await server?.close();
  await cleanup();
}
