import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const SKIPPED = new Set(['node_modules', '.git']);

async function filesOf(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    const rel = path.relative(root, abs).split(path.sep).join('/');
    if (rel.split('/').some((p) => SKIPPED.has(p))) continue;
    out.set(rel, abs);
  }
  return out;
}

/** Files of `tree` that are new or differ from `pristine` (regular files only; links are not followed). */
export async function changedFiles(pristine: string, tree: string): Promise<string[]> {
  const [before, after] = await Promise.all([filesOf(pristine), filesOf(tree)]);
  const changed: string[] = [];
  for (const [rel, abs] of after) {
    const old = before.get(rel);
    if (!old || !(await readFile(old)).equals(await readFile(abs))) changed.push(rel);
  }
  return changed.sort();
}
