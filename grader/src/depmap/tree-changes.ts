import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { patchedFiles } from '../materialize.ts';
import { testPathOf } from '../results.ts';
import { affectedFiles, type Change } from './affected.ts';
import type { DepMap } from './map.ts';

// A bug's tree (or a fix variant's) differs from the all-fixed tree only in the files its patches
// name. These helpers turn a patch into those differences, as changes against the all-fixed tree,
// for the dependency map to select from (verify and discover both select this way).

/** Every file of a tree, relative to it, node_modules left out. */
export async function listTreeFiles(root: string, rel = '', out = new Set<string>()): Promise<Set<string>> {
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) await listTreeFiles(root, child, out);
    else out.add(child);
  }
  return out;
}

/**
 * The files `patchFile` names, as changes from the all-fixed tree (whose files are `allFixedFiles`)
 * to `treeDir`: a file the all-fixed tree lacks is added, one `treeDir` lacks is removed.
 */
export async function patchChanges(allFixedFiles: ReadonlySet<string>, patchFile: string, treeDir: string): Promise<Change[]> {
  const out: Change[] = [];
  for (const f of patchedFiles(await readFile(patchFile, 'utf8'))) {
    let has = true;
    try {
      await readFile(path.join(treeDir, f));
    } catch {
      has = false;
    }
    out.push({ path: f, kind: !allFixedFiles.has(f) ? 'added' : has ? 'modified' : 'removed' });
  }
  return out;
}

/**
 * The test files to run for a tree that differs from the all-fixed one by `changes`; undefined means
 * the whole suite (a change the map cannot reason about). Test files the map does not know (none,
 * when the inventory and the map come from one tree) and the files of `failToPass` always run.
 */
export function filesToRun(map: DepMap, changes: readonly Change[], inventory: readonly string[], failToPass: readonly string[]): string[] | undefined {
  const affected = affectedFiles(map, changes);
  if (affected.everything) return undefined;
  const known = new Set(Object.keys(map.files));
  const unknown = inventory.map(testPathOf).filter((f) => !known.has(f));
  return [...new Set([...affected.files, ...unknown, ...failToPass.map(testPathOf)])].sort();
}
