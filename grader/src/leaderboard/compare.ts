import type { LoadedRun } from './read.ts';

// Comparability: two episodes can be compared only when they graded the same task tree (task
// hash) with the same grader. The reference is what most records used; a run that graded any
// task with another tree, or with another grader, is set apart and named, never averaged in.

export interface Reference {
  graderVersion: string | null;
  /** task id → the task hash most records carry */
  taskHashes: Record<string, string>;
}

function mostCommon(values: Iterable<string>): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  // Map keeps first-seen order, so a tie goes to the value seen first (the first run given)
  for (const [v, c] of counts) if (c > bestCount) [best, bestCount] = [v, c];
  return best;
}

export function referenceOf(runs: readonly LoadedRun[]): Reference {
  const records = runs.flatMap((r) => r.records);
  const graderVersion = mostCommon(records.flatMap((r) => (r.graderVersion === null ? [] : [r.graderVersion])));
  const byTask = new Map<string, string[]>();
  for (const r of records) if (r.taskHash !== null) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r.taskHash]);
  const taskHashes: Record<string, string> = {};
  for (const [task, hashes] of [...byTask].sort(([a], [b]) => a.localeCompare(b))) taskHashes[task] = mostCommon(hashes)!;
  return { graderVersion, taskHashes };
}

/** Why a run cannot be compared with the reference; empty when it can. */
export function incomparability(run: LoadedRun, ref: Reference): string[] {
  const reasons = new Set<string>();
  for (const r of run.records) {
    if (r.graderVersion !== null && r.graderVersion !== ref.graderVersion) reasons.add(`grader version ${r.graderVersion} (reference ${String(ref.graderVersion)})`);
    const refHash = ref.taskHashes[r.task];
    if (r.taskHash !== null && refHash !== undefined && r.taskHash !== refHash) reasons.add(`task ${r.task} hash ${r.taskHash.slice(0, 12)} (reference ${refHash.slice(0, 12)})`);
  }
  return [...reasons].sort();
}
