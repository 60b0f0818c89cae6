import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FileDeps } from '../types.ts';

/** Bumped when the recorder or the selection rules change: a map from another version is never used (2: node children and worker threads followed). */
export const DEPMAP_VERSION = 2;

/**
 * What every test file of one tree depended on, recorded during a run of that tree
 * (runtime/dep-recorder.cjs). Keyed by the tree's content hash: a map is used only for the tree it
 * was recorded on (a grade's base, the all-fixed tree of a verification).
 */
export interface DepMap {
  version: number;
  /** hashTree of the recorded tree (node_modules left out). */
  treeHash: string;
  /** Every directory of the tree when it was recorded ('.' is the root), node_modules left out. */
  dirs: string[];
  /** Test file (relative to the tree) → what it depended on. */
  files: Record<string, FileDeps>;
}

async function listDirs(root: string, rel: string, out: string[]): Promise<void> {
  out.push(rel === '' ? '.' : rel);
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    if (!e.isDirectory() || e.name === 'node_modules') continue;
    await listDirs(root, rel === '' ? e.name : `${rel}/${e.name}`, out);
  }
}

/** Builds the map of `dir` from a recorded run's per-file dependencies. */
export async function buildDepMap(dir: string, treeHash: string, deps: Record<string, FileDeps>): Promise<DepMap> {
  const dirs: string[] = [];
  await listDirs(path.resolve(dir), '', dirs);
  const files: Record<string, FileDeps> = {};
  for (const file of Object.keys(deps).sort()) files[file] = deps[file]!;
  return { version: DEPMAP_VERSION, treeHash, dirs: dirs.sort(), files };
}

/** A map file's content checked for shape; undefined when it is not one. */
export function parseDepMap(raw: unknown): DepMap | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Partial<DepMap>;
  if (m.version !== DEPMAP_VERSION || typeof m.treeHash !== 'string' || !Array.isArray(m.dirs) || typeof m.files !== 'object' || m.files === null) return undefined;
  for (const rec of Object.values(m.files)) {
    if (!rec || !Array.isArray(rec.read) || !Array.isArray(rec.listed)) return undefined;
  }
  return m as DepMap;
}
