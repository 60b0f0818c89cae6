import { cp, lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { unmountUnder } from '../sandbox/workspace-fs.ts';

/** Never part of a workspace, a grade tree or a hash: shared read-only, or history that would reveal the bugs. */
export const NEVER_COPIED = new Set(['node_modules', '.git']);

export interface TreeEntry {
  rel: string;
  kind: 'file' | 'symlink';
}

/** Every file and symlink under `dir` (not following links), relative paths with '/', sorted; node_modules and .git skipped. */
export async function listTree(dir: string, rel = '', out: TreeEntry[] = []): Promise<TreeEntry[]> {
  const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (NEVER_COPIED.has(e.name)) continue;
    const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isSymbolicLink()) out.push({ rel: childRel, kind: 'symlink' });
    else if (e.isDirectory()) await listTree(dir, childRel, out);
    else if (e.isFile()) out.push({ rel: childRel, kind: 'file' });
  }
  if (rel === '') out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return out;
}

/** Copies a tree without node_modules and .git, symlinks as they are. */
export async function copyTree(src: string, dst: string): Promise<void> {
  const base = path.resolve(src);
  await cp(base, dst, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (from) => path.resolve(from) === base || !NEVER_COPIED.has(path.basename(from)),
  });
}

export async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a).catch(() => undefined), lstat(b).catch(() => undefined)]);
  if (!sa || !sb || sa.isSymbolicLink() || sb.isSymbolicLink() || sa.size !== sb.size || (sa.mode & 0o111) !== (sb.mode & 0o111)) return false;
  const [ca, cb] = await Promise.all([readFile(a), readFile(b)]);
  return ca.equals(cb);
}

/** Removes a tree, first detaching any capped workspace file system mounted in it. */
export async function removeTree(dir: string): Promise<void> {
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
