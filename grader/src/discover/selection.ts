import { allFixedDepMap, type AllFixedMap } from '../depmap/store.ts';
import { filesToRun, patchChanges } from '../depmap/tree-changes.ts';
import type { BugEntry } from '../manifest.ts';
import { fixPath } from '../materialize.ts';
import type { DiscoverCtx } from './runs.ts';

// Which test files discover runs for a bug. The tree with only the bug present differs from the
// all-fixed tree in the files of the bug's fix patch, and the all-fixed tree passes every test (the
// dependency map is recorded only on a run of it that passed whole): a file those changes cannot
// affect passes with the bug present too, so it cannot be in the bug's failToPass. Running the
// affected files finds the same list as a whole-suite run (docs/incremental-grading.md), in a
// fraction of the time for a bug of one service. A change the map cannot reason about (packages,
// configuration) or a file that depends on everything still means the whole suite.

export type DiscoverSelection = Omit<AllFixedMap, 'file'>;

/** The all-fixed tree's map (stored, or recorded now: one whole-suite run, stored only with --write) and its file list. */
export async function allFixedSelection(ctx: Omit<DiscoverCtx, 'selection' | 'track'>): Promise<DiscoverSelection> {
  const { opts } = ctx;
  const { map, cached, allFixedFiles } = await allFixedDepMap({
    targetDir: ctx.targetDir, manifestPath: ctx.manifestPath, fixesDir: ctx.fixesDir, manifest: ctx.manifest,
    nodeModulesDir: ctx.nodeModules, write: opts.write === true,
    ...(opts.runner ? { runner: opts.runner } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.preflight ? { preflight: opts.preflight } : {}),
  });
  return { map, cached, allFixedFiles };
}

/** The test files to run with only `bug` present in `treeDir`; undefined = the whole suite. */
export async function filesForBug(ctx: DiscoverCtx, bug: BugEntry, treeDir: string): Promise<string[] | undefined> {
  if (!ctx.selection) return undefined;
  const { map, allFixedFiles } = ctx.selection;
  // the files of the list recorded before run too
  return filesToRun(map, await patchChanges(allFixedFiles, fixPath(bug, ctx.fixesDir), treeDir), ctx.inventory, bug.failToPass);
}
