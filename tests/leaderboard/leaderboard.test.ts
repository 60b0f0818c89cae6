import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../grader/src/cli.ts';
import { bootstrapMean, buildLeaderboard, readRun } from '../../grader/src/leaderboard/index.ts';
import { record, twoAgents, writeRun } from './records.ts';

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => ({ write: (s: string) => { f(s); return true; } }) as unknown as NodeJS.WriteStream;
  const code = await main(args, { stdout: sink((s) => { out += s; }), stderr: sink((s) => { err += s; }), cwd });
  return { code, out, err };
}

describe('leaderboard', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dn-leaderboard-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('bootstrap intervals are seeded: same records and seed, same interval; it holds the mean', () => {
    const values = [0, 1, 1, 0, 1, 0.5, 0.25, 1];
    const a = bootstrapMean(values, { seed: 7 });
    assert.deepEqual(a, bootstrapMean(values, { seed: 7 }));
    assert.notDeepEqual(a, bootstrapMean(values, { seed: 8 }));
    assert.ok(a!.low < 0.59375 && 0.59375 < a!.high, JSON.stringify(a));
    assert.deepEqual(bootstrapMean([1, 1, 1], { seed: 1 }), { low: 1, high: 1, level: 0.95, resamples: 2000, seed: 1 });
  });

  test('oracle over noop in all three formats; an infra error is counted apart, never as 0', async () => {
    const { oracle, noop } = twoAgents();
    const runs = [await writeRun(path.join(dir, 'oracle'), oracle), await writeRun(path.join(dir, 'noop'), noop)];
    const r = await cli(['leaderboard', ...runs, '--out', 'lb', '--json'], dir);
    assert.equal(r.code, 0, r.out + r.err);
    const lb = JSON.parse(await readFile(path.join(dir, 'lb', 'leaderboard.json'), 'utf8'));
    assert.equal(lb.schema, 'datanexus-leaderboard/1');
    assert.deepEqual(lb.agents.map((a: any) => [a.key, a.resolved, a.scored, a.infraErrors, a.meanReward]), [['oracle@1', 3, 3, 0, 1], ['noop@1', 0, 2, 1, 0]]);
    assert.deepEqual(lb.agents[1].byClass.performance, { solved: 0, scored: 0, infraErrors: 1, rate: null });
    assert.deepEqual(lb.agents[0].byService, {
      gateway: { solved: 1, scored: 1, infraErrors: 0, rate: 1 }, 'query-engine': { solved: 1, scored: 1, infraErrors: 0, rate: 1 }, shared: { solved: 1, scored: 1, infraErrors: 0, rate: 1 },
    });
    assert.deepEqual(lb.agents[0].byCategory.security, { passed: 12, total: 12, rate: 1 });

    const md = await readFile(path.join(dir, 'lb', 'leaderboard.md'), 'utf8');
    assert.match(md, /\| 1 \| oracle@1 \| 1\.000 \| \[1\.000, 1\.000\] \| 3\/3 \(100%\) \| 3 \| 0 \|/);
    assert.match(md, /\| 2 \| noop@1 \| 0\.000 \| \[0\.000, 0\.000\] \| 0\/2 \(0%\) \| 3 \| 1 \|/);
    assert.match(md, /\| noop@1 \| .*infra ×1/);

    const html = await readFile(path.join(dir, 'lb', 'leaderboard.html'), 'utf8');
    assert.match(html, /default-src 'none'/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    assert.equal((html.match(/<svg /g) ?? []).length, 5, 'reward bars, class and service heatmaps, category heatmap, reward/steps scatter');
    assert.match(html, /oracle@1 · bug:L5 seed 0: reward 1\.000 in 2 step\(s\), resolved/);
    assert.match(html, /1 infra-error episode\(s\) have no reward and are not plotted: noop@1 · bug:P1/);

    const swe = JSON.parse(await readFile(path.join(dir, 'lb', 'report.json'), 'utf8'));
    assert.deepEqual(swe['oracle@1'].resolved_ids, ['bug:L5', 'bug:P1', 'bug:X5']);
    assert.deepEqual([swe['noop@1'].resolved_instances, swe['noop@1'].error_ids, swe['noop@1'].empty_patch_ids], [0, ['bug:P1'], ['bug:L5', 'bug:X5']]);
  });

  test('a run graded on another task tree or grader version is set apart and named, not ranked', async () => {
    const { oracle, noop } = twoAgents();
    const odd = [record({ task: 'bug:L5', outcome: 'resolved', runId: 'run-c', agent: { name: 'random', version: '1' }, taskHash: 'hash-other' }),
      record({ task: 'bug:X5', outcome: 'unresolved', runId: 'run-c', agent: { name: 'random', version: '1' }, graderVersion: '9.9.9' })];
    const runs = await Promise.all([writeRun(path.join(dir, 'c-oracle'), oracle), writeRun(path.join(dir, 'c-noop'), noop), writeRun(path.join(dir, 'c-odd'), odd)]);
    const lb = buildLeaderboard(await Promise.all(runs.map((r) => readRun(r))));
    assert.deepEqual(lb.agents.map((a) => a.key), ['oracle@1', 'noop@1']);
    assert.deepEqual(lb.notComparable.map((a) => a.key), ['random@1']);
    assert.deepEqual(lb.runs.map((r) => r.comparable), [true, true, false]);
    assert.deepEqual(lb.runs[2]!.reasons, ['grader version 9.9.9 (reference 0.3.0)', 'task bug:L5 hash hash-other (reference hash-bug:L5)']);
    assert.equal(lb.points.some((p) => p.agent === 'random@1'), false);
  });

  test('bad input: a malformed line is named by file and line, a missing run by path; nothing is written', async () => {
    const bad = await writeRun(path.join(dir, 'bad'), twoAgents().oracle);
    await writeFile(path.join(bad, 'episodes.jsonl'), `${JSON.stringify(twoAgents().oracle[0])}\n{"schema":"datanexus-eval-episode/0"}\n`);
    const r = await cli(['leaderboard', bad, '--out', 'lb-bad', '--json'], dir);
    assert.equal(r.code, 1);
    const { error } = JSON.parse(r.out);
    assert.equal(error.code, 'GRADER_ERR_RUN_INVALID');
    assert.match(error.message, /episodes\.jsonl:2: not an episode record \(schema "datanexus-eval-episode\/0"; this grader reads "datanexus-eval-episode\/1"\)/);
    const missing = await cli(['leaderboard', 'nowhere', '--out', 'lb-bad'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /GRADER_ERR_RUN_INVALID: run: .*nowhere\/episodes\.jsonl does not exist/);
    const usage = await cli(['leaderboard', '--out', 'x'], dir);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /expected one or more <dir>/);
    await assert.rejects(readFile(path.join(dir, 'lb-bad', 'leaderboard.json')), { code: 'ENOENT' });
  });
});
