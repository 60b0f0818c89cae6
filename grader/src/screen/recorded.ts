import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { loadManifest } from '../manifest.ts';

/** Folders next to the manifest that hold patches: the gold fixes, alternative correct fixes, wrong fixes. */
export const PATCH_FOLDERS = ['fixes', 'alternatives', 'wrong-fixes'] as const;

async function patchesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.patch')).map((e) => path.join(e.parentPath, e.name));
}

/**
 * Every patch the manifest records: each bug's `fix`, and every .patch under the patch folders
 * next to it (alternatives and wrong fixes are recorded there, whatever their manifest field).
 */
export async function recordedPatches(manifestPath: string): Promise<string[]> {
  const dir = path.dirname(manifestPath);
  const manifest = await loadManifest(manifestPath);
  const found = new Set<string>();
  for (const bug of manifest.bugs) if (bug.fix) found.add(path.resolve(dir, bug.fix));
  for (const folder of PATCH_FOLDERS) for (const p of await patchesUnder(path.join(dir, folder))) found.add(path.resolve(p));
  return [...found].sort();
}
