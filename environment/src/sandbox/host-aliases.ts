import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { mountsUnder, unmountUnder } from './workspace-fs.ts';

// Sandboxes run under host uids that own nothing, and bwrap resolves every mount source as that
// uid, so a source below a directory others cannot search (a clone in root's home, a 0700 home)
// cannot be mounted. The server (root) bind-mounts such a source read-only once, at a path under
// the work root, which is always reachable, and the sandbox mounts the alias instead.

const exec = promisify(execFile);

/** True when every directory above `p` can be searched by others (o+x). */
export function reachableByOthers(p: string): boolean {
  let d = path.dirname(path.resolve(p));
  for (;;) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = path.dirname(d);
    if (parent === d) return true;
    d = parent;
  }
}

export class HostAliases {
  private readonly made = new Map<string, Promise<string>>();

  constructor(private readonly aliasRoot: string) {}

  /** `source` itself when a sandbox uid can reach it, else a read-only bind mount of it that can be reached. */
  readOnly(source: string): Promise<string> {
    const abs = path.resolve(source);
    if (reachableByOthers(abs)) return Promise.resolve(abs);
    let alias = this.made.get(abs);
    if (!alias) {
      alias = this.mount(abs);
      this.made.set(abs, alias);
      alias.catch(() => this.made.delete(abs));
    }
    return alias;
  }

  private async mount(source: string): Promise<string> {
    const alias = path.join(this.aliasRoot, createHash('sha256').update(source).digest('hex').slice(0, 16));
    if (mountsUnder(alias).includes(alias)) return alias; // left by an earlier run of this server: same source, same place
    if (statSync(source).isDirectory()) await mkdir(alias, { recursive: true, mode: 0o755 });
    else {
      await mkdir(this.aliasRoot, { recursive: true, mode: 0o755 });
      await writeFile(alias, '', { mode: 0o644 });
    }
    await exec('mount', ['--bind', source, alias]);
    await exec('mount', ['-o', 'remount,bind,ro', alias]);
    return alias;
  }

  async close(): Promise<void> {
    this.made.clear();
    await unmountUnder(this.aliasRoot);
  }
}
