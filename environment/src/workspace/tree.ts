import { constants as fsConstants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { EnvError } from '../errors.ts';
import { unmountUnder } from '../sandbox/workspace-fs.ts';
import { linkLeavesTree, readRegularFile } from './safe-fs.ts';

/** Never part of a workspace, a grade tree or a hash: shared read-only, or history that would reveal the bugs. */
export const NEVER_COPIED = new Set(['node_modules', '.git']);

export interface TreeEntry {
  rel: string;
  /** `node_modules`: a nested node_modules directory (only listed with `withNestedNodeModules`), never entered. */
  kind: 'file' | 'symlink' | 'node_modules';
}

/**
 * Every file and symlink under `dir`, relative paths with '/', sorted; node_modules and .git
 * skipped. Links are listed, never followed (readdir's entry types come from lstat), so the walk
 * stays inside the tree whatever the links say.
 */
export async function listTree(dir: string, opts: { withNestedNodeModules?: boolean } = {}): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (NEVER_COPIED.has(e.name)) {
        // the top-level node_modules is the shared mount point; a nested one would shadow it
        if (opts.withNestedNodeModules && e.name === 'node_modules' && rel !== '') out.push({ rel: childRel, kind: 'node_modules' });
        continue;
      }
      if (e.isSymbolicLink()) out.push({ rel: childRel, kind: 'symlink' });
      else if (e.isDirectory()) await walk(childRel);
      else if (e.isFile()) out.push({ rel: childRel, kind: 'file' });
    }
  };
  await walk('');
  out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}

/**
 * Copies a tree without node_modules and .git, symlinks as they are. A link that is absolute or
 * climbs out of the tree is refused before anything is copied: copies go into trees the server
 * later writes, deletes and chowns in as root.
 *
 * One walk plans the copy, then files are copied concurrently. fs.cp stats source and destination
 * and copies one entry at a time, which made it most of a reset's cost (a workspace of the
 * fixture took 30-250 ms under load, this 5-40 ms).
 */
export async function copyTree(src: string, dst: string): Promise<void> {
  const base = path.resolve(src);
  const plan = await planCopy(base);
  for (const link of plan.links) {
    if (linkLeavesTree(link.rel, link.target)) throw new EnvError('ENV_ERR_INFRA', `refusing to copy ${base}: the link ${link.rel} -> ${link.target} leaves the tree`);
  }
  await mkdir(dst, { recursive: true });
  for (const dir of plan.dirs) await mkdir(path.join(dst, dir.rel));
  await Promise.all([
    ...plan.files.map((rel) => copyFile(path.join(base, rel), path.join(dst, rel), fsConstants.COPYFILE_EXCL)),
    ...plan.links.map((link) => symlink(link.target, path.join(dst, link.rel))),
  ]);
  // modes last: a read-only directory must not stop its own contents from being copied
  await Promise.all([{ rel: '', mode: plan.rootMode }, ...plan.dirs].map((dir) => chmod(path.join(dst, dir.rel), dir.mode)));
}

interface CopyPlan {
  rootMode: number;
  /** parents before children */
  dirs: { rel: string; mode: number }[];
  files: string[];
  links: { rel: string; target: string }[];
}

async function planCopy(base: string): Promise<CopyPlan> {
  const plan: CopyPlan = { rootMode: (await lstat(base)).mode & 0o7777, dirs: [], files: [], links: [] };
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(base, rel), { withFileTypes: true });
    const subdirs: string[] = [];
    for (const e of entries) {
      if (NEVER_COPIED.has(e.name)) continue;
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isSymbolicLink()) plan.links.push({ rel: childRel, target: await readlink(path.join(base, childRel)) });
      else if (e.isDirectory()) subdirs.push(childRel);
      else if (e.isFile()) plan.files.push(childRel);
    }
    for (const childRel of subdirs) {
      plan.dirs.push({ rel: childRel, mode: (await lstat(path.join(base, childRel))).mode & 0o7777 });
      await walk(childRel);
    }
  };
  await walk('');
  return plan;
}

/** Same content and executable bits; both must be regular files (opened without following links). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([readRegularFile(a).catch(() => undefined), readRegularFile(b).catch(() => undefined)]);
  if (!fa || !fb || (fa.mode & 0o111) !== (fb.mode & 0o111)) return false;
  return fa.data.equals(fb.data);
}

/**
 * rm -r: links inside are removed, never followed (and so is `dir` itself when it is one). Any
 * capped workspace file system mounted in the tree is detached first.
 */
export async function removeTree(dir: string): Promise<void> {
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
