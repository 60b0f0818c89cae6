import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lchown, lstat, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';

/** Absolute path of a program on PATH, or undefined. */
export function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir || '.', program);
    if (existsSync(candidate)) return candidate;
  }
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.join(dir, program);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * chown -R that never follows a link: links are left alone, every other entry is lchown'ed, and
 * only real directories (readdir's lstat-based types) are entered, so a link planted in a
 * workspace cannot redirect it to a host file.
 */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  const st = await lstat(dir);
  if (st.isSymbolicLink()) return;
  await lchown(dir, uid, gid);
  if (!st.isDirectory()) return;
  // concurrently: one at a time, a workspace's few hundred lchown calls were a visible part of a reset
  await Promise.all((await readdir(dir, { withFileTypes: true })).map(async (entry) => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid, gid);
    else if (!entry.isSymbolicLink()) await lchown(p, uid, gid);
  }));
}

/** Makes `dir/node_modules` an empty directory (a mount point), whatever was there. */
export async function ensureMountPoint(dir: string): Promise<void> {
  const p = path.join(dir, 'node_modules');
  const st = await lstat(p).catch(() => undefined);
  if (st?.isDirectory() && (await readdir(p)).length === 0) return;
  if (st) await rm(p, { recursive: true, force: true });
  await mkdir(p);
}

/** Makes `dir/node_modules` a symlink to the shared dependencies (backends without mounts). */
export async function ensureNodeModulesLink(dir: string, target: string): Promise<void> {
  const p = path.join(dir, 'node_modules');
  const st = await lstat(p).catch(() => undefined);
  if (st?.isSymbolicLink()) return;
  if (st) await rm(p, { recursive: true, force: true });
  await symlink(target, p);
}

export function commandWorks(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
