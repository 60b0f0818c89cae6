import { CATEGORIES } from '../categories.ts';
import { GRADER_VERSION } from '../version.ts';
import { incomparability, referenceOf, type Reference } from './compare.ts';
import type { LoadedRun } from './read.ts';
import type { EpisodeOutcome, EpisodeRecord } from './record.ts';
import { bootstrapMean, mean, seedOf, type Interval } from './stats.ts';

export const LEADERBOARD_SCHEMA = 'datanexus-leaderboard/1';

export interface SolveCell {
  solved: number;
  /** Episodes (or bugs of a multi-bug task) that got a grade. */
  scored: number;
  infraErrors: number;
  /** solved / scored; null when nothing was scored (never 0 for "only infra errors"). */
  rate: number | null;
}

export interface AgentRow {
  key: string;
  agent: string;
  version: string;
  runs: string[];
  episodes: number;
  scored: number;
  resolved: number;
  rejected: number;
  infraErrors: number;
  solveRate: number | null;
  meanReward: number | null;
  rewardCI: Interval | null;
  meanSteps: number | null;
  meanWallMs: number;
  byTask: Record<string, SolveCell & { meanReward: number | null }>;
  byClass: Record<string, SolveCell>;
  byService: Record<string, SolveCell>;
  byCategory: Record<string, { passed: number; total: number; rate: number | null }>;
}

export interface RunSummary {
  dir: string;
  runId: string;
  agents: string[];
  episodes: number;
  comparable: boolean;
  reasons: string[];
}

export interface Leaderboard {
  schema: typeof LEADERBOARD_SCHEMA;
  graderVersion: string;
  reference: Reference;
  bootstrap: { resamples: number; level: number; seed: number };
  runs: RunSummary[];
  /** Comparable runs, best mean reward first. */
  agents: AgentRow[];
  /** Runs set apart (other task hash or grader version): their rows, never mixed into `agents`. */
  notComparable: AgentRow[];
  classes: string[];
  services: string[];
  categories: string[];
  points: Array<{ agent: string; task: string; seed: number; steps: number; reward: number | null; outcome: EpisodeOutcome }>;
}

export interface BuildOptions {
  resamples?: number;
  seed?: number;
}

const agentKey = (r: EpisodeRecord): string => `${r.agent.name}@${r.agent.version}`;

function cell(): SolveCell {
  return { solved: 0, scored: 0, infraErrors: 0, rate: null };
}

function tally(into: Record<string, SolveCell>, key: string, rec: EpisodeRecord, solved: boolean): void {
  const c = (into[key] ??= cell());
  if (rec.outcome === 'infra-error') c.infraErrors += 1;
  else {
    c.scored += 1;
    if (solved) c.solved += 1;
  }
  c.rate = c.scored === 0 ? null : c.solved / c.scored;
}

/** A single-bug task is solved when it resolved; in a multi-bug task each bug counts on its own (bugsFixed). */
function bugSolved(rec: EpisodeRecord, id: string): boolean {
  return rec.taskBugs.length === 1 ? rec.outcome === 'resolved' : rec.bugsFixed.includes(id);
}

function rowOf(key: string, records: EpisodeRecord[], runIds: string[], boot: { resamples: number; seed: number }): AgentRow {
  const scored = records.filter((r) => r.outcome !== 'infra-error');
  const rewards = scored.map((r) => r.reward as number);
  const row: AgentRow = {
    key, agent: records[0]!.agent.name, version: records[0]!.agent.version, runs: runIds,
    episodes: records.length, scored: scored.length,
    resolved: scored.filter((r) => r.outcome === 'resolved').length,
    rejected: scored.filter((r) => r.outcome === 'rejected').length,
    infraErrors: records.length - scored.length,
    solveRate: scored.length === 0 ? null : scored.filter((r) => r.outcome === 'resolved').length / scored.length,
    meanReward: rewards.length === 0 ? null : mean(rewards),
    rewardCI: bootstrapMean(rewards, { resamples: boot.resamples, seed: seedOf(key, boot.seed) }),
    meanSteps: scored.length === 0 ? null : mean(scored.map((r) => r.steps)),
    meanWallMs: mean(records.map((r) => r.wallMs)),
    byTask: {}, byClass: {}, byService: {}, byCategory: {},
  };
  for (const rec of records) {
    const t = (row.byTask[rec.task] ??= { ...cell(), meanReward: null });
    tally(row.byTask as Record<string, SolveCell>, rec.task, rec, rec.outcome === 'resolved');
    const taskRewards = scored.filter((r) => r.task === rec.task).map((r) => r.reward as number);
    t.meanReward = taskRewards.length === 0 ? null : mean(taskRewards);
    for (const bug of rec.taskBugs) {
      tally(row.byClass, bug.class, rec, bugSolved(rec, bug.id));
      tally(row.byService, bug.service, rec, bugSolved(rec, bug.id));
    }
    // a category the task's suite does not have (total 0) says nothing
    for (const [cat, c] of Object.entries(rec.categories ?? {}).filter(([, v]) => v.total > 0)) {
      const acc = (row.byCategory[cat] ??= { passed: 0, total: 0, rate: null });
      acc.passed += c.passed;
      acc.total += c.total;
      acc.rate = acc.total === 0 ? null : acc.passed / acc.total;
    }
  }
  return row;
}

function rowsOf(runs: readonly LoadedRun[], boot: { resamples: number; seed: number }): AgentRow[] {
  const groups = new Map<string, { records: EpisodeRecord[]; runIds: Set<string> }>();
  for (const run of runs) {
    for (const rec of run.records) {
      const g = groups.get(agentKey(rec)) ?? { records: [], runIds: new Set<string>() };
      g.records.push(rec);
      g.runIds.add(rec.runId);
      groups.set(agentKey(rec), g);
    }
  }
  const rows = [...groups].map(([key, g]) => rowOf(key, g.records, [...g.runIds], boot));
  // best mean reward first; agents with no scored episode last; ties by name for a stable order
  return rows.sort((a, b) => (b.meanReward ?? -Infinity) - (a.meanReward ?? -Infinity) || a.key.localeCompare(b.key));
}

const sortedUnion = (rows: AgentRow[], pick: (r: AgentRow) => Record<string, unknown>): string[] =>
  [...new Set(rows.flatMap((r) => Object.keys(pick(r))))].sort();

/** The leaderboard of the given runs: pure (no I/O), deterministic for the same records and seed. */
export function buildLeaderboard(runs: readonly LoadedRun[], opts: BuildOptions = {}): Leaderboard {
  const boot = { resamples: opts.resamples ?? 2000, level: 0.95, seed: opts.seed ?? 1 };
  const reference = referenceOf(runs);
  const judged = runs.map((run) => ({ run, reasons: incomparability(run, reference) }));
  const comparable = judged.filter((j) => j.reasons.length === 0).map((j) => j.run);
  const apart = judged.filter((j) => j.reasons.length > 0).map((j) => j.run);
  const agents = rowsOf(comparable, boot);
  const notComparable = rowsOf(apart, boot);
  const all = [...agents, ...notComparable];
  const categoryOrder = (c: string): number => { const i = (CATEGORIES as readonly string[]).indexOf(c); return i === -1 ? CATEGORIES.length : i; };
  return {
    schema: LEADERBOARD_SCHEMA,
    graderVersion: GRADER_VERSION,
    reference,
    bootstrap: boot,
    runs: judged.map(({ run, reasons }) => ({
      dir: run.dir, runId: run.records[0]!.runId,
      agents: [...new Set(run.records.map(agentKey))],
      episodes: run.records.length, comparable: reasons.length === 0, reasons,
    })),
    agents, notComparable,
    classes: sortedUnion(all, (r) => r.byClass),
    services: sortedUnion(all, (r) => r.byService),
    categories: sortedUnion(all, (r) => r.byCategory).sort((a, b) => categoryOrder(a) - categoryOrder(b) || a.localeCompare(b)),
    points: comparable.flatMap((run) => run.records.map((r) => ({ agent: agentKey(r), task: r.task, seed: r.seed, steps: r.steps, reward: r.reward, outcome: r.outcome }))),
  };
}
