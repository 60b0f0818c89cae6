import type { LoadedRun } from './read.ts';
import type { EpisodeRecord } from './record.ts';

// report.json in the shape of SWE-bench's evaluation report (one per model there, one per agent
// here, keyed by agent@version). An instance is a task; with several episodes of a task, it is
// resolved when every graded episode resolved, an error when no episode got a grade.

export interface SweBenchReport {
  total_instances: number;
  submitted_instances: number;
  completed_instances: number;
  resolved_instances: number;
  unresolved_instances: number;
  empty_patch_instances: number;
  error_instances: number;
  completed_ids: string[];
  resolved_ids: string[];
  unresolved_ids: string[];
  empty_patch_ids: string[];
  error_ids: string[];
  schema_version: number;
}

function reportOf(records: EpisodeRecord[]): SweBenchReport {
  const byTask = new Map<string, EpisodeRecord[]>();
  for (const r of records) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
  const ids = [...byTask.keys()].sort();
  const graded = (t: string) => byTask.get(t)!.filter((r) => r.outcome !== 'infra-error');
  const error_ids = ids.filter((t) => graded(t).length === 0);
  const completed_ids = ids.filter((t) => graded(t).length > 0);
  const resolved_ids = completed_ids.filter((t) => graded(t).every((r) => r.outcome === 'resolved'));
  const unresolved_ids = completed_ids.filter((t) => !resolved_ids.includes(t));
  // "empty patch": the agent changed nothing the grade took (no step but submit)
  const empty_patch_ids = completed_ids.filter((t) => graded(t).every((r) => r.steps <= 1));
  return {
    total_instances: ids.length, submitted_instances: ids.length, completed_instances: completed_ids.length,
    resolved_instances: resolved_ids.length, unresolved_instances: unresolved_ids.length,
    empty_patch_instances: empty_patch_ids.length, error_instances: error_ids.length,
    completed_ids, resolved_ids, unresolved_ids, empty_patch_ids, error_ids, schema_version: 2,
  };
}

/** Comparable runs only: the same rule as the leaderboard. */
export function sweBenchReports(runs: readonly LoadedRun[]): Record<string, SweBenchReport> {
  const byAgent = new Map<string, EpisodeRecord[]>();
  for (const r of runs.flatMap((run) => run.records)) {
    const key = `${r.agent.name}@${r.agent.version}`;
    byAgent.set(key, [...(byAgent.get(key) ?? []), r]);
  }
  return Object.fromEntries([...byAgent].sort(([a], [b]) => a.localeCompare(b)).map(([k, recs]) => [k, reportOf(recs)]));
}
