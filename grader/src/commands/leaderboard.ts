import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GraderError } from '../errors.ts';
import { buildLeaderboard, readRun, renderHtml, renderMarkdown, sweBenchReports, type Leaderboard } from '../leaderboard/index.ts';
import { type CommandOutcome, type CommonOptions, writeJsonAtomic } from './shared.ts';

// `leaderboard <runs…> --out dir`: leaderboard.json / .md / .html and a SWE-bench-style report.json.

export interface LeaderboardCommandOptions extends CommonOptions {
  runs: string[];
  out: string;
  resamples?: number;
  seed?: number;
}

export interface LeaderboardOutcome {
  out: string;
  files: string[];
  agents: Array<{ agent: string; meanReward: number | null; resolved: number; scored: number; infraErrors: number }>;
  notComparable: string[];
}

export async function leaderboardCommand(opts: LeaderboardCommandOptions): Promise<CommandOutcome<LeaderboardOutcome>> {
  if (opts.runs.length === 0) throw new GraderError('GRADER_ERR_USAGE', 'leaderboard: give at least one run directory (written by datanexus-env eval)');
  const runs = [];
  // the report names each run as it was given, so it reads the same wherever it is opened
  for (const r of opts.runs) runs.push({ ...(await readRun(path.resolve(opts.cwd, r))), dir: r });
  const lb: Leaderboard = buildLeaderboard(runs, { ...(opts.resamples ? { resamples: opts.resamples } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const out = path.resolve(opts.cwd, opts.out);
  await mkdir(out, { recursive: true });
  const comparable = runs.filter((_, i) => lb.runs[i]!.comparable);
  const files = ['leaderboard.json', 'leaderboard.md', 'leaderboard.html', 'report.json'].map((f) => path.join(out, f));
  await writeJsonAtomic(files[0]!, lb);
  await writeFile(files[1]!, renderMarkdown(lb));
  await writeFile(files[2]!, renderHtml(lb));
  await writeJsonAtomic(files[3]!, sweBenchReports(comparable));
  const json: LeaderboardOutcome = {
    out, files,
    agents: lb.agents.map((a) => ({ agent: a.key, meanReward: a.meanReward, resolved: a.resolved, scored: a.scored, infraErrors: a.infraErrors })),
    notComparable: lb.runs.filter((r) => !r.comparable).map((r) => r.dir),
  };
  const text = [
    ...lb.agents.map((a, i) => `${i + 1}. ${a.key}: mean reward ${a.meanReward?.toFixed(3) ?? '—'}, resolved ${a.resolved}/${a.scored}${a.infraErrors ? `, ${a.infraErrors} infra error(s)` : ''}`),
    ...json.notComparable.map((d) => `not comparable (set apart): ${d}`),
    `wrote ${files.map((f) => path.basename(f)).join(', ')} to ${out}`,
  ].join('\n');
  return { exitCode: 0, json, text };
}
