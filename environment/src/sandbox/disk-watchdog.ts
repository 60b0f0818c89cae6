import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PollingSet } from './polling-set.ts';

// The fallback where no size-capped file system can be mounted per workspace (the server is not
// root; see workspace-fs.ts): every running sandbox's workspace is measured a few times a second,
// and a run whose workspace grows past its limit is killed. A fast writer can pass the limit
// between two looks, which is why the kernel cap is preferred. Only growth counts, so a run that
// is cleaning up an over-full workspace is allowed to finish.

const SCAN_INTERVAL_MS = 500;

interface Watch {
  dir: string;
  limitBytes: number;
  startBytes: number | undefined;
  onExceed: (bytes: number) => void;
}

/**
 * Bytes a tree holds on disk: allocated blocks, or the apparent size where that is larger (a file
 * being written). Symbolic links are not followed, and entries that vanish mid-walk are skipped.
 */
export function treeBytes(root: string): number {
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      total += Math.max(st.size, st.blocks * 512);
      if (st.isDirectory()) stack.push(p);
    }
  }
  return total;
}

export class DiskWatchdog {
  private readonly watches = new PollingSet<Watch>(SCAN_INTERVAL_MS, (ws) => this.tick(ws));

  watch(dir: string, limitBytes: number, onExceed: (bytes: number) => void): () => void {
    return this.watches.add({ dir, limitBytes, startBytes: undefined, onExceed });
  }

  /** Measures every watched workspace now. */
  checkNow(): void {
    this.watches.checkNow();
  }

  private tick(watches: Watch[]): void {
    for (const w of watches) {
      const bytes = treeBytes(w.dir);
      w.startBytes ??= bytes;
      if (bytes > w.limitBytes && bytes > w.startBytes) {
        this.watches.delete(w);
        w.onExceed(bytes);
      }
    }
  }
}

export const diskWatchdog = new DiskWatchdog();
