import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { PollingSet } from './polling-set.ts';

// RLIMIT_DATA caps each process, but a command can start many. Without cgroups (not available to
// us in every container), the only aggregate cap is to watch: one shared scan of /proc serves
// every running sandbox, sums the resident memory of each one's process tree, and kills a tree
// that passes its limit.

interface Watch {
  pid: number;
  limitBytes: number;
  onExceed: (rssBytes: number) => void;
}

const SCAN_INTERVAL_MS = 250;

let pageSize: number | undefined;
function pageBytes(): number {
  if (pageSize === undefined) {
    try {
      pageSize = Number.parseInt(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim(), 10) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

interface ProcInfo {
  ppid: number;
  rssPages: number;
}

function scanProc(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited between readdir and read
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(name), { ppid: Number(fields[1]), rssPages: Number(fields[21]) });
  }
  return out;
}

/** Resident bytes of `root` and all its descendants, from one /proc snapshot. */
export function treeRss(procs: Map<number, ProcInfo>, root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(pid);
    else children.set(p.ppid, [pid]);
  }
  let pages = 0;
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    pages += procs.get(pid)?.rssPages ?? 0;
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return pages * pageBytes();
}

class MemoryWatchdog {
  private readonly watches = new PollingSet<Watch>(SCAN_INTERVAL_MS, (ws) => this.tick(ws), process.platform === 'linux');

  watch(pid: number, limitBytes: number, onExceed: (rssBytes: number) => void): () => void {
    return this.watches.add({ pid, limitBytes, onExceed });
  }

  private tick(watches: Watch[]): void {
    const procs = scanProc();
    for (const w of watches) {
      const rss = treeRss(procs, w.pid);
      if (rss > w.limitBytes) {
        this.watches.delete(w);
        w.onExceed(rss);
      }
    }
  }
}

export const memoryWatchdog = new MemoryWatchdog();
