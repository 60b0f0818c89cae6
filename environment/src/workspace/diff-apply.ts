import { chown, lstat, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FilePatch, Hunk } from './diff-parse.ts';
import { resolveWorkspacePath, type WorkspaceRoots } from './resolve.ts';
import { NotARegularFile, readRegularFile, replaceFile } from './safe-fs.ts';

/** The agent's patch does not fit the files: an observation, not a request error. */
export class PatchApplyError extends Error {
  override readonly name = 'PatchApplyError';
}

export interface FileChange {
  path: string;
  change: 'modified' | 'added' | 'deleted' | 'renamed';
  from?: string;
}

interface Planned {
  rel: string;
  abs: string;
  /** undefined: the file is to be deleted. */
  content: Buffer | undefined;
  mode?: number;
}

function splitLines(text: string): { lines: string[]; eol: boolean } {
  if (text === '') return { lines: [], eol: false };
  const eol = text.endsWith('\n');
  const lines = text.split('\n');
  if (eol) lines.pop();
  return { lines, eol };
}

function matchesAt(lines: string[], want: string[], at: number): boolean {
  for (let k = 0; k < want.length; k += 1) if (lines[at + k] !== want[k]) return false;
  return true;
}

/** Where `want` occurs, searching outward from `near` (hunks may have moved), never before `from`. */
function findBlock(lines: string[], want: string[], near: number, from: number): number {
  const last = lines.length - want.length;
  if (want.length === 0) return Math.min(Math.max(near, from), lines.length);
  for (let d = 0; ; d += 1) {
    const lo = near - d;
    const hi = near + d;
    if (lo < from && hi > last) return -1;
    if (lo >= from && lo <= last && matchesAt(lines, want, lo)) return lo;
    if (d > 0 && hi >= from && hi <= last && matchesAt(lines, want, hi)) return hi;
  }
}

export function applyHunks(text: string, hunks: Hunk[], name: string): string {
  const { lines, eol: hadEol } = splitLines(text);
  // lines added to an empty (or new) file end with a newline unless the patch says otherwise
  let eol = text === '' ? true : hadEol;
  const out: string[] = [];
  let pos = 0;
  let offset = 0;
  for (const [n, h] of hunks.entries()) {
    const oldBlock = h.lines.filter((l) => l[0] !== '+').map((l) => l.slice(1));
    const newBlock = h.lines.filter((l) => l[0] !== '-').map((l) => l.slice(1));
    const base = h.oldLines === 0 ? h.oldStart : h.oldStart - 1;
    const at = findBlock(lines, oldBlock, base + offset, pos);
    if (at < 0) {
      const first = oldBlock[0];
      throw new PatchApplyError(
        `hunk ${n + 1} of ${name} (@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@) does not match the file` +
          (first === undefined ? '' : `: its lines starting with ${JSON.stringify(first.slice(0, 80))} were not found${n > 0 ? ' after the previous hunk' : ''}`),
      );
    }
    out.push(...lines.slice(pos, at), ...newBlock);
    pos = at + oldBlock.length;
    offset = at - base;
    if (h.newNoEol) eol = false;
    else if (h.oldNoEol) eol = true;
  }
  out.push(...lines.slice(pos));
  if (out.length === 0) return '';
  return out.join('\n') + (eol ? '\n' : '');
}

function isBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8192).includes(0);
}

/**
 * Works out every file the patch produces, in memory, without touching the workspace; any
 * problem (a path outside, a missing file, a hunk that does not match) is thrown before the
 * first write, so a patch applies entirely or not at all.
 */
export async function planPatch(roots: WorkspaceRoots, patches: FilePatch[]): Promise<{ planned: Planned[]; changes: FileChange[] }> {
  const state = new Map<string, Planned>();
  const changes: FileChange[] = [];

  const current = async (rel: string, abs: string): Promise<Buffer | undefined> => {
    const p = state.get(rel);
    if (p) return p.content;
    const st = await lstat(abs).catch(() => undefined);
    if (!st) return undefined;
    try {
      return (await readRegularFile(abs)).data;
    } catch (err) {
      if (err instanceof NotARegularFile) throw new PatchApplyError(`${rel} is not a regular file`);
      throw err;
    }
  };

  for (const fp of patches) {
    const oldR = fp.oldPath === null ? null : await resolveWorkspacePath(roots, fp.oldPath, { forWrite: true });
    const newR = fp.newPath === null ? null : await resolveWorkspacePath(roots, fp.newPath, { forWrite: true });
    if (oldR && oldR.rel === '') throw new PatchApplyError('a patch names the workspace directory itself as a file');
    if (newR && newR.rel === '') throw new PatchApplyError('a patch names the workspace directory itself as a file');

    if (!oldR && newR) {
      const existing = await current(newR.rel, newR.abs);
      if (existing !== undefined) throw new PatchApplyError(`${newR.rel} already exists; the patch creates it`);
      const text = applyHunks('', fp.hunks, newR.rel);
      state.set(newR.rel, { rel: newR.rel, abs: newR.abs, content: Buffer.from(text), mode: fp.newMode });
      changes.push({ path: newR.rel, change: 'added' });
      continue;
    }
    if (oldR && !newR) {
      const existing = await current(oldR.rel, oldR.abs);
      if (existing === undefined) throw new PatchApplyError(`${oldR.rel} does not exist; the patch deletes it`);
      if (fp.hunks.length > 0 && applyHunks(existing.toString('utf8'), fp.hunks, oldR.rel) !== '') {
        throw new PatchApplyError(`${oldR.rel} has content the deletion does not account for`);
      }
      state.set(oldR.rel, { rel: oldR.rel, abs: oldR.abs, content: undefined });
      changes.push({ path: oldR.rel, change: 'deleted' });
      continue;
    }
    if (!oldR || !newR) throw new PatchApplyError('a file section names neither an old nor a new path');
    const existing = await current(oldR.rel, oldR.abs);
    if (existing === undefined) throw new PatchApplyError(`${oldR.rel} does not exist; create it with a "--- /dev/null" section`);
    if (isBinary(existing)) throw new PatchApplyError(`${oldR.rel} is a binary file; patches change text files only`);
    const text = applyHunks(existing.toString('utf8'), fp.hunks, oldR.rel);
    if (oldR.rel !== newR.rel) {
      if ((await current(newR.rel, newR.abs)) !== undefined) throw new PatchApplyError(`${newR.rel} already exists; the patch renames ${oldR.rel} onto it`);
      state.set(oldR.rel, { rel: oldR.rel, abs: oldR.abs, content: undefined });
      state.set(newR.rel, { rel: newR.rel, abs: newR.abs, content: Buffer.from(text), mode: fp.newMode });
      changes.push({ path: newR.rel, change: 'renamed', from: oldR.rel });
    } else {
      const prev = state.get(oldR.rel);
      state.set(oldR.rel, { rel: oldR.rel, abs: oldR.abs, content: Buffer.from(text), mode: fp.newMode ?? prev?.mode });
      if (!changes.some((c) => c.path === oldR.rel)) changes.push({ path: oldR.rel, change: 'modified' });
    }
  }
  return { planned: [...state.values()], changes };
}

/**
 * Writes a plan. A failure half-way (disk full) restores what was already written, so the
 * workspace is left as it was. Files are replaced (a fresh file renamed over the name), never
 * written in place, so a hard link in the workspace is not written through. New files and
 * directories get `owner` (the sandbox's uid).
 */
export async function commitPlan(planned: Planned[], owner: number | null): Promise<void> {
  const undo: Array<() => Promise<void>> = [];
  try {
    for (const p of planned) {
      const old = await readRegularFile(p.abs).catch(() => undefined);
      undo.push(async () => {
        if (old === undefined) await rm(p.abs, { force: true });
        else await replaceFile(p.abs, old.data, old.mode, owner);
      });
      if (p.content === undefined) {
        await rm(p.abs, { force: true });
        continue;
      }
      const createdDir = await mkdirOwned(path.dirname(p.abs), owner);
      if (createdDir) undo.push(async () => rm(createdDir, { recursive: true, force: true }));
      const mode = p.mode !== undefined ? p.mode & 0o777 : old ? old.mode & 0o7777 : 0o644;
      await replaceFile(p.abs, p.content, mode, owner);
    }
  } catch (err) {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    throw err;
  }
}

/** mkdir -p that hands new directories to `owner`; returns the topmost directory it created. */
async function mkdirOwned(dir: string, owner: number | null): Promise<string | undefined> {
  const missing: string[] = [];
  let d = dir;
  while (!(await stat(d).catch(() => undefined))) {
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  if (missing.length === 0) return undefined;
  await mkdir(dir, { recursive: true });
  if (owner !== null) for (const m of missing) await chown(m, owner, owner);
  return missing.at(-1);
}
