import { cp, mkdir, readdir, readlink, rm } from 'node:fs/promises';
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
 */
export async function copyTree(src: string, dst: string): Promise<void> {
  const base = path.resolve(src);
  for (const e of await listTree(base)) {
    if (e.kind !== 'symlink') continue;
    const target = await readlink(path.join(base, e.rel));
    if (linkLeavesTree(e.rel, target)) throw new EnvError('ENV_ERR_INFRA', `refusing to copy ${base}: the link ${e.rel} -> ${target} leaves the tree`);
  }
  await cp(base, dst, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (from) => path.resolve(from) === base || !NEVER_COPIED.has(path.basename(from)),
  });
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
