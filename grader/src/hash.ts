import { createHash } from 'node:crypto';
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';

export interface HashTreeOptions {
  /** Relative paths (`tests`, `jest.config.js`) or bare names (`.git`) to leave out; node_modules is always left out. */
  exclude?: string[];
  /** Only these relative paths (files or directories) are hashed. */
  include?: string[];
}

async function walk(root: string, rel: string, skip: (rel: string, name: string) => boolean, out: string[]): Promise<void> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
    if (skip(childRel, e.name)) continue;
    if (e.isDirectory()) await walk(root, childRel, skip, out);
    else out.push(childRel);
  }
}

/**
 * sha256 over the sorted relative paths and contents of a tree (symlinks by their target, the
 * executable bit included, node_modules excluded). Two trees with the same files give the same
 * hash wherever they live, which is what grade caches and task identities key on.
 */
export async function hashTree(dir: string, opts: HashTreeOptions = {}): Promise<string> {
  const root = path.resolve(dir);
  const excluded = new Set(opts.exclude ?? []);
  const skip = (rel: string, name: string): boolean => name === 'node_modules' || excluded.has(rel) || excluded.has(name);
  const files: string[] = [];
  if (opts.include) {
    for (const inc of opts.include) {
      const rel = inc.split(path.sep).join('/').replace(/\/+$/, '');
      let st;
      try {
        st = await stat(path.join(root, rel));
      } catch {
        continue; // an absent optional file simply does not contribute
      }
      if (st.isDirectory()) await walk(root, rel, skip, files);
      else files.push(rel);
    }
  } else {
    await walk(root, '', skip, files);
  }
  const unique = [...new Set(files)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHash('sha256');
  for (const rel of unique) {
    const abs = path.join(root, rel);
    const st = await stat(abs).catch(() => undefined);
    let line: string;
    let isLink = false;
    try {
      const target = await readlink(abs);
      isLink = true;
      line = `L ${rel}\0${target}`;
    } catch {
      line = '';
    }
    if (!isLink) {
      const content = await readFile(abs);
      const exec = st && (st.mode & 0o111) !== 0 ? 'x' : '-';
      line = `F${exec} ${rel}\0${createHash('sha256').update(content).digest('hex')}`;
    }
    h.update(`${line}\n`);
  }
  return h.digest('hex');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
