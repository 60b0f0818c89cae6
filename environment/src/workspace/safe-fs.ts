import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';

// Host-side operations on trees the agent controls (workspaces; grade trees built from them).
// The server runs as root, so a link planted by the agent must never redirect a read, write,
// delete or chown to a host file: links are never followed in a parent directory (every
// component is lstat'ed), files are opened with O_NOFOLLOW and must be regular, and files are
// replaced through a fresh file and rename(2), never written in place. No sandbox process of the
// episode runs while the server does this (actions of an episode run one at a time, and every
// sandboxed command's processes die with it), so what lstat sees is what the operation gets.

/** A link's target, absolute or climbing out of the tree from where the link sits: never honoured. */
export function linkLeavesTree(rel: string, target: string): boolean {
  if (target.startsWith('/') || target.includes('\0')) return true;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
  return joined === '..' || joined.startsWith('../') || path.posix.isAbsolute(joined);
}

/** True when every directory between root and rel's parent is a real directory (no link, nothing missing). */
export async function parentsAreRealDirs(root: string, rel: string): Promise<boolean> {
  const parts = rel.split('/').slice(0, -1);
  let p = root;
  for (const part of parts) {
    p = path.join(p, part);
    const st = await lstat(p).catch(() => undefined);
    if (!st?.isDirectory()) return false;
  }
  return true;
}

/**
 * Makes every parent of rel under root a real directory, replacing a link or a file found on the
 * way (root is a tree the server builds, such as a grade tree), so what is written next lands
 * inside root whatever the tree held.
 */
export async function makeRealParents(root: string, rel: string): Promise<void> {
  let p = root;
  for (const part of rel.split('/').slice(0, -1)) {
    p = path.join(p, part);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) await unlink(p);
    await mkdir(p);
  }
}

/** Removes whatever is at rel (a link itself, never its target), once its parents are known to be real. */
export async function removeEntry(root: string, rel: string): Promise<void> {
  if (!(await parentsAreRealDirs(root, rel))) return; // under a replaced directory: already gone
  const p = path.join(root, rel);
  const st = await lstat(p).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) await rm(p, { recursive: true, force: true });
  else await unlink(p);
}

export class NotARegularFile extends Error {
  override readonly name = 'NotARegularFile';
}

/** A regular file's content and mode, opened without following a link (ELOOP becomes NotARegularFile). */
export async function readRegularFile(abs: string, maxBytes = Number.POSITIVE_INFINITY): Promise<{ data: Buffer; mode: number; size: number }> {
  let fh;
  try {
    fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new NotARegularFile(`${abs} is a symlink`);
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotARegularFile(`${abs} is not a regular file`);
    const size = Math.min(st.size, maxBytes);
    const data = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(data, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return { data: data.subarray(0, off), mode: st.mode, size: st.size };
  } finally {
    await fh.close();
  }
}

/**
 * Writes a file by creating a fresh one next to it (O_EXCL|O_NOFOLLOW) and renaming it over the
 * old name: a link or a hard link at that name is replaced, never written through.
 */
export async function replaceFile(abs: string, data: Buffer | string, mode: number, owner: number | null): Promise<void> {
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.dn-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode & 0o7777);
    if (owner !== null) await fh.chown(owner, owner);
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, abs).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
}
