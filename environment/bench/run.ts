// npm run bench: real HTTP against a server it starts (the CLI, in its own process), reporting
// reset, step and grade latency (median and p95) and the grade's overhead as a ratio to a bare
// jest run of the same tree. `--json` prints the figures as one JSON document. Those grades run
// with `--grading full` (an unchanged workspace would otherwise be graded without a run); the
// incremental figures (bench/incremental.ts) grade a one-file gold fix both ways.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { materialize, processRunner, runSuite } from '@datanexus/grader';
import { EnvClient } from '../src/client/client.ts';
import { gradeFigures, verifyFigures, type StartServer } from './incremental.ts';
import { REPO_ROOT } from '../src/paths.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string' }, manifest: { type: 'string' }, 'node-modules': { type: 'string' }, fixture: { type: 'boolean' },
    task: { type: 'string' }, resets: { type: 'string' }, steps: { type: 'string' }, grades: { type: 'string' },
    sandbox: { type: 'string' }, json: { type: 'boolean' },
    'incremental-grades': { type: 'string' }, 'incremental-bug': { type: 'string' }, 'verify-bugs': { type: 'string' },
  },
});
const fixture = values.fixture === true;
const targetDir = path.resolve(values.target ?? (fixture ? path.join(REPO_ROOT, 'tests/fixtures/mini-target') : path.join(REPO_ROOT, 'target')));
const manifestPath = path.resolve(values.manifest ?? (fixture ? path.join(REPO_ROOT, 'tests/fixtures/mini-manifest/manifest.json') : path.join(REPO_ROOT, 'bug-manifest/manifest.json')));
const nodeModules = path.resolve(values['node-modules'] ?? path.join(REPO_ROOT, 'target/node_modules'));
const task = values.task ?? 'full';
const N_RESETS = Number(values.resets ?? 5);
const N_STEPS = Number(values.steps ?? 20);
const N_GRADES = Number(values.grades ?? (fixture ? 5 : 2));
const say = (msg: string): void => {
  // progress goes to stderr either way: --json keeps stdout for the document
  process.stderr.write(`[bench] ${msg}\n`);
};

function stats(samples: number[]): { n: number; median: number; p95: number; min: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  const mid = s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { n: s.length, median: round(mid), p95: round(at(0.95)), min: round(s[0] ?? NaN), max: round(s.at(-1) ?? NaN) };
}
const round = (x: number): number => Math.round(x * 10) / 10;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

async function startServer(stateDir: string, extraArgs: string[] = ['--grading', 'full'], sandbox = values.sandbox): Promise<{ url: string; child: ChildProcess }> {
  const args = [path.join(REPO_ROOT, 'environment/bin/datanexus-env.js'), 'serve', '--port', '0', '--target', targetDir, '--manifest', manifestPath,
    '--node-modules', nodeModules, '--state-dir', stateDir, '--no-grade-cache', '--log-level', 'info', '--max-episodes', String(N_RESETS + 2), ...extraArgs];
  if (sandbox) args.push('--sandbox', sandbox);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
    lines.on('line', (line) => {
      const m = /listening at (http:\/\/[^"\s]+)/i.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { url, child };
}

async function bareJest(runs: number): Promise<number[]> {
  // The same tree the grade runs on (the task's pristine tree), run by jest directly with the
  // grader's plain process runner: no sandbox, no overlay, no hashing, no HTTP.
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dn-bench-bare-'));
  try {
    const bugs = task === 'full' ? 'all' : [task.replace(/^bug:/, '')];
    const { out } = await materialize({ bugs, out: path.join(tmp, 'tree'), targetDir, manifestPath });
    await symlink(nodeModules, path.join(out, 'node_modules'));
    const times: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const [ms, run] = await timed(() => runSuite({ dir: out, runner: processRunner() }));
      if (run.infraError) throw new Error(`bare jest run failed: ${run.infraError.message}`);
      times.push(ms);
      say(`bare jest ${i + 1}/${runs}: ${Math.round(ms)} ms`);
    }
    return times;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// further servers (incremental vs full grading), each on its own state directory
const startOther: StartServer = async (extraArgs) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dn-bench-inc-'));
  await import('node:fs/promises').then((fs) => fs.chmod(dir, 0o755));
  const { url, child } = await startServer(dir, extraArgs);
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
};

type Stats = ReturnType<typeof stats>;
interface Latency {
  sandbox: string;
  firstResetMs: number;
  resetMs: Stats;
  stepMs: { read_file: Stats; exec: Stats };
  gradeMs: Stats;
}

/** Reset, step and grade latency through one server on `sandbox` (its own state directory). */
async function latency(sandbox: string | undefined): Promise<Latency> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'dn-bench-'));
  await import('node:fs/promises').then((fs) => fs.chmod(stateDir, 0o755));
  say(`target ${targetDir}, task ${task}; starting the server${sandbox ? ` (--sandbox ${sandbox})` : ''}`);
  const { url, child } = await startServer(stateDir, undefined, sandbox);
  const client = new EnvClient({ baseUrl: url });
  try {
    const health = await client.health();
    say(`server at ${url}, sandbox ${health.sandbox.kind}`);
    const [coldReset, first] = await timed(() => client.reset({ task }));
    say(`first reset (materialize + baseline + namespace): ${Math.round(coldReset)} ms`);
    const resets: number[] = [];
    const ids: string[] = [first.episodeId];
    for (let i = 0; i < N_RESETS; i += 1) {
      const [ms, r] = await timed(() => client.reset({ task, seed: i }));
      resets.push(ms);
      ids.push(r.episodeId);
    }
    const id = first.episodeId;
    const file = first.observation.files.includes('package.json') ? 'package.json' : first.observation.files[0]!;
    const readFile: number[] = [];
    const exec: number[] = [];
    for (let i = 0; i < N_STEPS; i += 1) readFile.push((await timed(() => client.step(id, { type: 'read_file', path: file })))[0]);
    for (let i = 0; i < N_STEPS; i += 1) exec.push((await timed(() => client.step(id, { type: 'exec', command: 'true' })))[0]);
    say(`steps done; grading ${N_GRADES} times (cache off)`);
    const grades: number[] = [];
    for (let i = 0; i < N_GRADES; i += 1) {
      const [ms] = await timed(() => client.reward(id));
      grades.push(ms);
      say(`grade ${i + 1}/${N_GRADES}: ${Math.round(ms)} ms`);
    }
    for (const e of ids) await client.close(e);
    return { sandbox: health.sandbox.kind, firstResetMs: round(coldReset), resetMs: stats(resets), stepMs: { read_file: stats(readFile), exec: stats(exec) }, gradeMs: stats(grades) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // --sandbox docker measures bubblewrap too, in the same run, so the two sit side by side
  const sandboxes = values.sandbox === 'docker' ? ['bwrap', 'docker'] : [values.sandbox];
  const measured: Latency[] = [];
  for (const sb of sandboxes) measured.push(await latency(sb));
  const primary = measured.at(-1)!;
  const bare = await bareJest(N_GRADES);
  const incremental = await gradeFigures(startOther, targetDir, manifestPath, Number(values['incremental-grades'] ?? 3), values['incremental-bug'], say);
  const verifying = Number(values['verify-bugs'] ?? 3) > 0 ? await verifyFigures(targetDir, manifestPath, Number(values['verify-bugs'] ?? 3), say) : undefined;

  const result = {
    target: targetDir,
    task,
    machine: { cpus: os.availableParallelism(), load: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    ...primary,
    ...(measured.length > 1 ? { sandboxes: Object.fromEntries(measured.map((m) => [m.sandbox, m])) } : {}),
    bareJestMs: stats(bare),
    gradeOverheadRatio: Math.round((primary.gradeMs.median / stats(bare).median) * 100) / 100,
    ...incremental,
    ...(verifying ?? {}),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const cell = (s: Stats | number) => (typeof s === 'number' ? `${s}`.padStart(10) + ''.padStart(10) : `${String(s.median).padStart(10)}${String(s.p95).padStart(10)}`);
  const row = (name: string, pick: (m: Latency) => Stats | number) => `${name.padEnd(26)}${measured.map((m) => cell(pick(m))).join('  ')}`;
  process.stdout.write([
    `DataNexus Gym environment bench — ${task} on ${path.relative(REPO_ROOT, targetDir) || targetDir}, sandbox ${measured.map((m) => m.sandbox).join(' | ')}, ${result.machine.cpus} cpus, load ${result.machine.load.join(' ')}`,
    `${'latency (ms)'.padEnd(26)}${measured.map((m) => `${`${m.sandbox} median`.padStart(10)}${'p95'.padStart(10)}`).join('  ')}`,
    row('first reset (cold)', (m) => m.firstResetMs),
    row(`reset (n=${N_RESETS})`, (m) => m.resetMs),
    row(`step read_file (n=${N_STEPS})`, (m) => m.stepMs.read_file),
    row(`step exec true (n=${N_STEPS})`, (m) => m.stepMs.exec),
    row(`grade /v1/reward (n=${N_GRADES})`, (m) => m.gradeMs),
    `${'bare jest, same tree'.padEnd(26)}${cell(result.bareJestMs)}`,
    `grade overhead (${primary.sandbox}): ${result.gradeOverheadRatio}× a bare jest run`,
    `incremental grade (${result.incrementalTask} gold fix, ${result.incrementalAffectedFiles}/${result.testFiles} test files affected): ${result.incrementalGradeMs} ms vs full ${result.fullGradeMs} ms, ratio ${result.incrementalRatio}${result.sameReward ? '' : ' (REWARDS DIFFER)'}`,
    ...(verifying ? [`verification per bug (${verifying.verifyBugs.join(',')}): ${verifying.verifyPerBugMs} ms affected vs ${verifying.verifyPerBugFullMs} ms --full, ratio ${verifying.verifyRatio}`] : []),
    '',
  ].join('\n'));
}

await main();
