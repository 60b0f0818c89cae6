import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fixPath } from '../materialize.ts';
import type { BugEntry } from '../manifest.ts';
import type { FileDeps } from '../types.ts';
import type { TreeSelection } from './selection.ts';
import type { Ctx } from './types.ts';

// A second key for a quick validation: what its runs actually read, instead of the whole target
// (docs/bug-validity.md, "Reusing a validation"). A bug's quick checks run only the files holding
// its failToPass tests, and the dependency recorder sees every path those runs read or listed. If
// none of those paths changed, the runs would behave the same, so an edit elsewhere in the target
// (a new service's code, another bug's tests) leaves the record standing.
//
// The runs read the bug's trees, which are the target with fixes applied; the key hashes the
// target's version of each path plus every fix patch and the bug's own patches and lists, which
// together determine the trees' version. Files jest's parent reads before any worker runs (the
// target's root files: package.json, the lockfile, jest's configuration) are hashed whole.
// A run that started a process or a worker thread read what the recorder cannot see: such a
// validation gets no second key.

export interface ReadSet {
  read: string[];
  listed: string[];
  /**
   * Full (affected-file) records only: each tree's changes and the files they selected, by tree
   * ('bug', or the variant's kind and patch). The record stands only while today's map selects no
   * file a tree did not run (selection.ts).
   */
  trees?: Record<string, TreeSelection>;
}

/** What the runs of one bug read, merged over its runs; `everything` once one run could not be followed. */
export class ReadsAcc {
  readonly read = new Set<string>();
  readonly listed = new Set<string>();
  everything: string | undefined;

  readonly trees = new Map<string, TreeSelection>();

  /** Starts from a kept record's set, so a top-up's key covers the kept runs and the new ones. */
  static from(kept: ReadSet): ReadsAcc {
    const acc = new ReadsAcc();
    for (const r of kept.read) acc.read.add(r);
    for (const l of kept.listed) acc.listed.add(l);
    for (const [name, t] of Object.entries(kept.trees ?? {})) acc.trees.set(name, t);
    return acc;
  }

  /** A tree's selection (full records); one that ran the whole suite grows with the tree: no key. */
  addTree(name: string, files: string[] | undefined, changes: TreeSelection['changes']): void {
    if (!files) this.everything ??= `${name} ran the whole suite`;
    else this.trees.set(name, { changes, files });
  }

  /** Adds one run's record; a run without one (the recorder did not report) voids the key. */
  add(deps: Record<string, FileDeps> | undefined): void {
    if (!deps) {
      this.everything ??= 'a run returned no dependency record';
      return;
    }
    for (const [file, rec] of Object.entries(deps)) {
      if (rec.everything) this.everything ??= `${file}: ${rec.everything}`;
      for (const r of rec.read) this.read.add(r);
      for (const l of rec.listed) this.listed.add(l);
    }
  }

  /** The merged set, or undefined when some run's reads could not be followed. */
  result(): ReadSet | undefined {
    if (this.everything) return undefined;
    const trees = [...this.trees.keys()].sort().map((name) => [name, this.trees.get(name)!] as const);
    return { read: [...this.read].sort(), listed: [...this.listed].sort(), ...(trees.length > 0 ? { trees: Object.fromEntries(trees) } : {}) };
  }
}

async function contentLine(file: string): Promise<string> {
  const st = await stat(file).catch(() => undefined);
  if (!st) return 'missing';
  if (st.isDirectory()) return 'dir';
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function entriesLine(dir: string): Promise<string> {
  const names = await readdir(dir).catch(() => undefined);
  return names ? names.sort().join('/') : 'missing';
}

/** The target's root files: read by jest's parent (configuration, packages), never by a recorded worker. */
async function rootFiles(targetDir: string): Promise<string[]> {
  const entries = await readdir(targetDir, { withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
}

// Every fix patch and the target's root files, the same for every bug of one verification: hashed once.
const treeWideLines = new WeakMap<Ctx, Promise<string>>();

async function hashTreeWide(ctx: Ctx): Promise<string> {
  const lines = ['fixes'];
  for (const other of [...ctx.manifest.bugs].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    lines.push(`${other.id} ${await contentLine(fixPath(other, ctx.fixesDir))}`);
  }
  lines.push('root');
  for (const name of await rootFiles(ctx.targetDir)) lines.push(`${name} ${await contentLine(path.join(ctx.targetDir, name))}`);
  return `${lines.join('\n')}\n`;
}

function treeWide(ctx: Ctx): Promise<string> {
  let lines = treeWideLines.get(ctx);
  if (!lines) {
    lines = hashTreeWide(ctx);
    treeWideLines.set(ctx, lines);
  }
  return lines;
}

/**
 * sha256 over what a quick validation of `bug` read: `shared` (runtime, grader, node, the bug's
 * patches and lists: reuse.ts), every fix patch, the target's root files, and the target's version
 * of each read path and the entries of each listed directory.
 */
export async function readKey(ctx: Ctx, bug: BugEntry, shared: string, reads: ReadSet): Promise<string> {
  const h = createHash('sha256');
  h.update(`${shared}\n${await treeWide(ctx)}`);
  h.update('read\n');
  for (const rel of reads.read) h.update(`${rel} ${await contentLine(path.join(ctx.targetDir, rel))}\n`);
  h.update('listed\n');
  for (const rel of reads.listed) h.update(`${rel} ${await entriesLine(path.join(ctx.targetDir, rel))}\n`);
  h.update(`bug ${bug.id}\n`);
  // full records: the selections are part of what the key vouches for (absent for quick ones, whose keys stay as they were)
  if (reads.trees) h.update(`trees ${JSON.stringify(reads.trees)}\n`);
  return h.digest('hex');
}
