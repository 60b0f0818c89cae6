import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main as graderMain } from '../../grader/src/cli.ts';
import { validateEpisodeRecord, type EpisodeRecord } from '../../grader/src/leaderboard/index.ts';
import { createAgent } from '../../environment/src/eval/agents/index.ts';
import { runEval, type EvalOptions } from '../../environment/src/eval/runner.ts';
import { FIXTURE, SHARED_CACHE, tempDir } from '../environment/fixtures.ts';

// Real runs of `eval` on the grader's mini fixture (three bugs), each with a server of its own
// (real port, bwrap sandboxes), then the leaderboard built from them.

const FIXTURE_BUGS = [
  { task: 'bug:N1', bug: { id: 'N1', class: 'numeric', service: 'shared' } },
  { task: 'bug:R1', bug: { id: 'R1', class: 'races', service: 'shared' } },
  { task: 'bug:X1', bug: { id: 'X1', class: 'security', service: 'shared' } },
];

/** Dead or a zombie (nobody may reap it here): the state field of /proc/<pid>/stat. */
async function processEnds(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null || /^\d+ \(.*\) [ZX]/.test(stat)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe('eval on the fixture', () => {
  let dir: string;
  const runs: Record<string, EpisodeRecord[]> = {};

  async function evalRun(name: string, opts: Partial<EvalOptions> & Pick<EvalOptions, 'agent' | 'tasks'>): Promise<EpisodeRecord[]> {
    const stateDir = await tempDir('dn-eval-state-');
    try {
      const progress: string[] = [];
      const r = await runEval({
        out: path.join(dir, name), progress: (l) => progress.push(l), ...opts,
        server: { ...FIXTURE, stateDir, cacheDir: SHARED_CACHE, trajectoriesPath: null, namespaceModule: null, namespacePoolSize: 0, ...opts.server },
      });
      assert.equal(progress.length, r.records.length + 1, progress.join('\n'));
      const lines = (await readFile(path.join(dir, name, 'episodes.jsonl'), 'utf8')).trim().split('\n');
      const records = lines.map((l, i) => validateEpisodeRecord(JSON.parse(l), `${name}:${i + 1}`));
      records.sort((a, b) => a.task.localeCompare(b.task) || a.seed - b.seed);
      runs[name] = records;
      return records;
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  }

  before(async () => {
    dir = await tempDir('dn-eval-');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('oracle: every bug task resolved, with provenance', async () => {
    const recs = await evalRun('oracle', { agent: createAgent('oracle'), tasks: 'bug:*', concurrency: 2 });
    assert.deepEqual(recs.map((r) => [r.task, r.outcome, r.reward, r.steps, r.endedBy, r.bugsFixed]), FIXTURE_BUGS.map((b) => [b.task, 'resolved', 1, 2, 'submit', [b.bug.id]]));
    for (const [i, r] of recs.entries()) {
      assert.deepEqual(r.taskBugs, [FIXTURE_BUGS[i]!.bug]);
      assert.match(r.taskHash ?? '', /^[0-9a-f]{16,}$/);
      assert.equal(r.sandbox, 'bwrap');
      assert.equal(r.agent.name, 'oracle');
      assert.ok(r.envVersion && r.graderVersion && r.breakdown && r.categories);
    }
    const meta = JSON.parse(await readFile(path.join(dir, 'oracle', 'run.json'), 'utf8'));
    assert.deepEqual([meta.schema, meta.tasks, meta.server.started, typeof meta.finishedAt], ['datanexus-eval-run/1', ['bug:N1', 'bug:R1', 'bug:X1'], true, 'string']);
  });

  test('oracle on the full task: every gold fix in turn, every bug fixed', async () => {
    const [full] = await evalRun('oracle-full', { agent: createAgent('oracle'), tasks: 'full' });
    assert.deepEqual([full!.outcome, full!.mode, full!.steps, full!.bugsFixed, full!.taskBugs.map((b) => b.id)], ['resolved', 'reward', 4, ['N1', 'R1', 'X1'], ['N1', 'R1', 'X1']]);
    assert.ok(full!.reward! > 1 && full!.breakdown!.bugBonus > 0, JSON.stringify(full!.breakdown));
  });

  test('noop: submits at once and resolves nothing', async () => {
    const recs = await evalRun('noop', { agent: createAgent('noop'), tasks: 'bug:N1,bug:R1,bug:X?' });
    assert.deepEqual(recs.map((r) => [r.task, r.outcome, r.reward, r.steps]), FIXTURE_BUGS.map((b) => [b.task, 'unresolved', 0, 1]));
    assert.deepEqual(recs.map((r) => r.taskHash), runs.oracle!.map((r) => r.taskHash));
  });

  test('the leaderboard of the two shows it in all three formats', async () => {
    let out = '';
    const sink = { write: (s: string) => { out += s; return true; } } as unknown as NodeJS.WriteStream;
    const code = await graderMain(['leaderboard', 'oracle', 'noop', '--out', 'lb', '--json'], { stdout: sink, stderr: sink, cwd: dir });
    assert.equal(code, 0, out);
    const lb = JSON.parse(await readFile(path.join(dir, 'lb', 'leaderboard.json'), 'utf8'));
    assert.deepEqual(lb.agents.map((a: any) => [a.key, a.resolved, a.scored, a.meanReward]), [['oracle@1', 3, 3, 1], ['noop@1', 0, 3, 0]]);
    assert.deepEqual(lb.runs.map((r: any) => r.comparable), [true, true]);
    const md = await readFile(path.join(dir, 'lb', 'leaderboard.md'), 'utf8');
    assert.match(md, /\| 1 \| oracle@1 \| 1\.000 \| .* \| 3\/3 \(100%\) \|/);
    assert.match(md, /\| 2 \| noop@1 \| 0\.000 \| .* \| 0\/3 \(0%\) \|/);
    const html = await readFile(path.join(dir, 'lb', 'leaderboard.html'), 'utf8');
    assert.match(html, /<td>oracle@1<\/td><td class="num">1\.000<\/td><td class="num">\[1\.000, 1\.000\]<\/td><td class="num">3\/3 \(100%\)<\/td>/);
    assert.match(html, /<td>noop@1<\/td><td class="num">0\.000<\/td><td class="num">\[0\.000, 0\.000\]<\/td><td class="num">0\/3 \(0%\)<\/td>/);
  });

  test('random: reads, commands and edits within the budget, the same for the same seeds', async () => {
    const a = await evalRun('random-a', { agent: createAgent('random'), tasks: 'bug:N1', episodes: 2, seed: 5 });
    const b = await evalRun('random-b', { agent: createAgent('random'), tasks: 'bug:N1', episodes: 2, seed: 5 });
    assert.deepEqual(a.map((r) => r.seed), [5, 6]);
    for (const r of a) assert.ok(r.steps >= 2 && r.steps <= 9 && r.outcome !== 'infra-error', JSON.stringify(r));
    assert.deepEqual(b.map((r) => [r.steps, r.reward, r.outcome, r.bugsFixed]), a.map((r) => [r.steps, r.reward, r.outcome, r.bugsFixed]));
  });

  test('external: a program over JSON lines; a refused action goes back to it; garbage ends it, still graded', async () => {
    const agentFile = path.join(dir, 'agent.mjs');
    await writeFile(agentFile, `import readline from 'node:readline';
const seen = [];
let n = 0;
for await (const line of readline.createInterface({ input: process.stdin })) {
  const msg = JSON.parse(line);
  seen.push(msg.type === 'end' ? 'end:' + msg.outcome : msg.type === 'refused' ? 'refused:' + msg.code : msg.type);
  if (msg.type === 'end') break;
  n += 1;
  const action = n === 1 ? { type: 'list_files', path: 'src' } : n === 2 ? { type: 'read_file' } : { type: 'submit' };
  process.stdout.write(JSON.stringify({ action }) + '\\n');
}
process.stderr.write(seen.join(',') + '\\n');
`);
    const [good] = await evalRun('external', { agent: createAgent('external', { command: `node ${agentFile}`, name: 'js-agent', version: '2', logFile: () => path.join(dir, 'agent.log') }), tasks: 'bug:R1' });
    assert.deepEqual([good!.agent, good!.outcome, good!.steps, good!.error], [{ name: 'js-agent', version: '2' }, 'unresolved', 2, undefined]);
    assert.equal((await readFile(path.join(dir, 'agent.log'), 'utf8')).trim(), 'reset,step,refused:ENV_ERR_VALIDATION,end:unresolved');

    const [bad] = await evalRun('external-bad', { agent: createAgent('external', { command: 'echo hello; cat >/dev/null' }), tasks: 'bug:R1' });
    assert.deepEqual([bad!.outcome, bad!.steps, bad!.error?.code], ['unresolved', 1, 'AGENT_PROTOCOL']);
    assert.match(bad!.error!.message, /not JSON: hello/);

    // silent past the action timeout: stopped with everything it started, and still graded
    const pidFile = path.join(dir, 'silent.pid');
    const [silent] = await evalRun('external-silent', { agent: createAgent('external', { command: `sleep 600 & echo $! > ${pidFile}; wait`, actionTimeoutMs: 300 }), tasks: 'bug:R1' });
    assert.deepEqual([silent!.outcome, silent!.steps, silent!.error?.code], ['unresolved', 1, 'AGENT_PROTOCOL']);
    assert.match(silent!.error!.message, /sent no action within 300 ms/);
    // the group was SIGKILLed before the run returned; a bounded look at /proc only for the kernel to finish it
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.ok(await processEnds(pid), `the agent's background sleep (pid ${pid}) is still running`);
  });

  test('an episode the server cannot start is an infra error with no reward, not a 0', async () => {
    // one episode at most and two at once: one reset is refused with a 503
    const recs = await evalRun('capacity', { agent: createAgent('noop'), tasks: 'bug:N1,bug:X1', concurrency: 2, server: { maxEpisodes: 1 } });
    const infra = recs.filter((r) => r.outcome === 'infra-error');
    assert.equal(infra.length, 1, JSON.stringify(recs));
    assert.deepEqual([infra[0]!.reward, infra[0]!.breakdown, infra[0]!.error?.code, infra[0]!.endedBy, infra[0]!.taskHash], [null, null, 'ENV_ERR_CAPACITY', 'none', null]);
    assert.equal(recs.filter((r) => r.outcome === 'unresolved').length, 1);
  });

  test('bad options: an unknown task pattern or a used run directory is refused before any episode', async () => {
    await assert.rejects(evalRun('typo', { agent: createAgent('noop'), tasks: 'bug:Q*' }), /"bug:Q\*" matches no task of the server/);
    await assert.rejects(runEval({ agent: createAgent('noop'), tasks: 'full', out: path.join(dir, 'noop') }), /already holds a run/);
    assert.throws(() => createAgent('smart'), /expected one of oracle, noop, random, external/);
    assert.throws(() => createAgent('external'), /needs --agent-cmd/);
  });
});
