import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile, validateManifest, type BugValidation } from './manifest.ts';

type RawEntry = Record<string, unknown>;

/**
 * Re-reads the manifest, lets `edit` change entries in place, checks the result is still a valid
 * manifest and writes it atomically. Re-reading at write time keeps whatever other people changed
 * while a long command ran; only the fields `edit` touches change, and the file keeps its 2-space
 * JSON with one trailing newline.
 */
export async function rewriteManifest(manifestPath: string, edit: (bug: RawEntry) => void): Promise<void> {
  const data = (await readJsonFile(manifestPath, 'bug manifest', 'GRADER_ERR_MANIFEST_INVALID')) as { bugs?: RawEntry[] };
  for (const bug of data.bugs ?? []) edit(bug);
  validateManifest(structuredClone(data));
  const tmp = path.join(path.dirname(manifestPath), `.${path.basename(manifestPath)}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
  await rename(tmp, manifestPath);
}

/** Writes validation records (null removes one) into the named entries. */
export async function writeValidations(manifestPath: string, updates: ReadonlyMap<string, BugValidation | null>): Promise<void> {
  await rewriteManifest(manifestPath, (bug) => {
    const id = bug.id as string;
    if (!updates.has(id)) return;
    const v = updates.get(id);
    if (v === null || v === undefined) delete bug.validation;
    else bug.validation = { ...v };
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const s = new Set(a);
  return a.length === b.length && b.every((x) => s.has(x));
}

/**
 * Replaces the failToPass of the named entries (lists sorted). A validation was made against the
 * old list and says nothing about a different one, so it is dropped when the list changes.
 */
export async function writeFailToPass(manifestPath: string, lists: ReadonlyMap<string, string[]>): Promise<void> {
  await rewriteManifest(manifestPath, (bug) => {
    const list = lists.get(bug.id as string);
    if (!list) return;
    const before = Array.isArray(bug.failToPass) ? (bug.failToPass as string[]) : [];
    if (!sameSet(before, list)) delete bug.validation;
    bug.failToPass = [...list];
  });
}

/** Replaces the dependsOn of the named entries (the measured masking). */
export async function writeDependsOn(manifestPath: string, lists: ReadonlyMap<string, string[]>): Promise<void> {
  await rewriteManifest(manifestPath, (bug) => {
    const list = lists.get(bug.id as string);
    if (list) bug.dependsOn = [...list];
  });
}
