import path from 'node:path';
import { buildDepMap } from '../depmap/map.ts';
import { depMapPath, writeDepMap } from '../depmap/store.ts';
import { filesToRun, listTreeFiles, patchChanges } from '../depmap/tree-changes.ts';
import { variantFile } from '../fix-variants.ts';
import { hashTree } from '../hash.ts';
import type { BugEntry, FixVariant } from '../manifest.ts';
import { fixPath } from '../materialize.ts';
import type { FileDeps } from '../types.ts';
import type { Change } from '../depmap/affected.ts';
import type { Ctx } from './types.ts';

// Which test files a bug's or a variant's tree runs. Their trees differ from the all-fixed tree only
// in the files their patches touch, and the all-fixed suite passes whole: a test file those changes
// cannot affect (by the all-fixed tree's dependency map) passes in their tree too, so running the
// affected files proves what a whole-suite run proves (docs/incremental-grading.md).

/** Keeps the all-fixed tree's map (and its file list) from its recorded run; stores it with the inventory unless a dry run. */
export async function keepAllFixedMap(ctx: Ctx, dir: string, deps: Record<string, FileDeps>): Promise<void> {
  const map = await buildDepMap(dir, await hashTree(dir), deps);
  ctx.selection = { map, allFixedFiles: await listTreeFiles(path.resolve(dir)) };
  if (ctx.opts.write !== false) await writeDepMap(depMapPath(ctx.manifestPath), map);
}

/** The name a tree's selection is kept under in a record's reads: 'bug', or the variant's patch. */
export function treeName(variant?: FixVariant): string {
  return variant ? variant.patch : 'bug';
}

/** What one bug or variant tree ran in an affected-file verification: its changes against the all-fixed tree, and the files they selected. */
export interface TreeSelection {
  changes: Change[];
  files: string[];
}

/**
 * The files to run for a bug's tree (`variant` undefined) or a variant's tree, with the changes
 * that selected them: files undefined means the whole suite (`--full`, or no map). The failToPass
 * files are always included.
 */
export async function selectionFor(ctx: Ctx, bug: BugEntry, treeDir: string, variant?: FixVariant): Promise<{ files: string[] | undefined; changes: Change[] }> {
  if (ctx.full || !ctx.selection) return { files: undefined, changes: [] };
  const { allFixedFiles } = ctx.selection;
  const changes = await patchChanges(allFixedFiles, fixPath(bug, ctx.fixesDir), treeDir);
  if (variant) changes.push(...(await patchChanges(allFixedFiles, variantFile(ctx.manifestDir, variant), treeDir)));
  return { files: filesToRun(ctx.selection.map, changes, ctx.inventory, bug.failToPass), changes };
}

/** The files to run for a bug's or a variant's tree (selectionFor), without the changes. */
export async function affectedSelection(ctx: Ctx, bug: BugEntry, treeDir: string, variant?: FixVariant): Promise<string[] | undefined> {
  return (await selectionFor(ctx, bug, treeDir, variant)).files;
}

/**
 * Whether a tree's recorded selection still covers what today's map would select for the same
 * changes: every file it would run now was run then. The changes are recomputed from the patch
 * only through today's file list, so a path that switched between added and present means no.
 */
export function selectionStands(ctx: Ctx, bug: BugEntry, recorded: TreeSelection): boolean {
  if (ctx.full || !ctx.selection) return false;
  const { allFixedFiles, map } = ctx.selection;
  if (recorded.changes.some((c) => (c.kind === 'added') === allFixedFiles.has(c.path))) return false;
  const now = filesToRun(map, recorded.changes, ctx.inventory, bug.failToPass);
  if (!now) return false;
  const ran = new Set(recorded.files);
  return now.every((f) => ran.has(f));
}
