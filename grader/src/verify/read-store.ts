import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReadSet } from './read-key.ts';

// The paths behind each validation's second key (read-key.ts), kept beside the manifest in
// validation-reads.json so the manifest stays readable. The record names its key (`readsKey`);
// an entry here whose key differs from the record's is stale and never used.

const VERSION = 1;

export interface ReadsEntry extends ReadSet {
  key: string;
}

export interface ReadsFile {
  version: number;
  bugs: Record<string, ReadsEntry>;
}

export function readsFilePath(manifestDir: string): string {
  return path.join(manifestDir, 'validation-reads.json');
}

function isEntry(v: unknown): v is ReadsEntry {
  const e = v as Partial<ReadsEntry> | null;
  const strings = (a: unknown): boolean => Array.isArray(a) && a.every((x) => typeof x === 'string');
  return typeof e === 'object' && e !== null && typeof e.key === 'string' && strings(e.read) && strings(e.listed);
}

/** The file's entries; an absent or malformed file (or entry) reads as none: the records then run again. */
export async function loadReads(manifestDir: string): Promise<ReadsFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(readsFilePath(manifestDir), 'utf8'));
  } catch {
    return { version: VERSION, bugs: {} };
  }
  const f = raw as Partial<ReadsFile> | null;
  if (!f || f.version !== VERSION || typeof f.bugs !== 'object' || f.bugs === null) return { version: VERSION, bugs: {} };
  return { version: VERSION, bugs: Object.fromEntries(Object.entries(f.bugs).filter(([, e]) => isEntry(e))) };
}

/** Sets (or, with null, removes) entries, sorted by bug id; written whole through a temporary file. */
export async function saveReads(manifestDir: string, updates: ReadonlyMap<string, ReadsEntry | null>): Promise<void> {
  const file = await loadReads(manifestDir);
  for (const [id, entry] of updates) {
    if (entry) file.bugs[id] = entry;
    else delete file.bugs[id];
  }
  const bugs = Object.fromEntries(Object.keys(file.bugs).sort().map((id) => [id, file.bugs[id]!]));
  const target = readsFilePath(manifestDir);
  await writeFile(`${target}.tmp`, `${JSON.stringify({ version: VERSION, bugs }, null, 1)}\n`);
  await rename(`${target}.tmp`, target);
}
