import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import type { RunCgroup } from '../cgroup.ts';

// A container run's cgroups: the server's run group (cgroup.ts: memory, pids and cpu caps) is
// the container's cgroup parent, so the runtime makes the container's own group (libpod-<id>)
// and conmon's (conmon/) beneath it and the caps hold for both. Two things differ from bubblewrap:
// - the kernel records an OOM kill in the victim's own group (v1 does not count it upwards), so
//   the container's subgroup is read too, while it exists;
// - the runtime makes the parent path in every hierarchy (cpuset, devices, freezer..., and the
//   hybrid layout's unified v2 one), not only the three the server manages: those are removed here.

const ROOT = '/sys/fs/cgroup';

function oomKills(dir: string): number {
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(path.join(dir, 'memory.oom_control'), 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

function pidsIn(dir: string): number[] {
  const own = (() => {
    try {
      return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  })();
  return [...own, ...subdirs(dir).flatMap(pidsIn)];
}

export class ContainerCgroup {
  /** The run group's memory directory. */
  private readonly memoryDir: string;
  /** The parent path as the runtime takes it (--cgroup-parent), e.g. /datanexus-gym/123/run-4. */
  readonly parent: string;
  private oomSeen = false;

  constructor(readonly run: RunCgroup, private readonly memoryBytes: number) {
    this.memoryDir = path.dirname(run.procsFiles[0]!);
    this.parent = `/${path.relative(path.join(ROOT, 'memory'), this.memoryDir)}`;
  }

  /** True once a process of the run (the container's or its monitor's) was killed by the OOM killer. */
  oomKilled(): boolean {
    if (this.oomSeen) return true;
    this.oomSeen = this.run.oomKilled() || subdirs(this.memoryDir).some((d) => oomKills(d) > 0);
    return this.oomSeen;
  }

  /**
   * After the run: the OOM kill of the container's first process removes the container (and the
   * group that counted it) at once, so a run that died by SIGKILL that nobody here sent, in a
   * group whose peak usage reached its cap, is taken for an OOM kill too.
   */
  diedOfMemory(signalled: boolean): boolean {
    if (this.oomKilled()) return true;
    if (!signalled) return false;
    try {
      const peak = Number(readFileSync(path.join(this.memoryDir, 'memory.max_usage_in_bytes'), 'utf8'));
      return peak >= this.memoryBytes - 1024 * 1024;
    } catch {
      return false;
    }
  }

  /** SIGKILLs every process of the run: the container's and its monitor's (a killed client leaves both). */
  killAll(): void {
    for (const pid of pidsIn(this.memoryDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }

  /** Removes the run group (cgroup.ts) and what the runtime made in the other hierarchies. */
  async destroy(): Promise<void> {
    await this.run.destroy();
    removeElsewhere(this.parent);
  }
}

/** Every hierarchy mounted under /sys/fs/cgroup (v1 controllers, and the hybrid layout's v2 `unified`). */
function hierarchies(): string[] {
  return subdirs(ROOT);
}

function removeTree(dir: string): void {
  for (const sub of subdirs(dir)) removeTree(sub);
  try {
    rmdirSync(dir);
  } catch {
    // busy or gone: the server's sweep takes it later
  }
}

/** Removes `parent` (a run's path) from every hierarchy; the managed ones are already gone. */
export function removeElsewhere(parent: string): void {
  for (const h of hierarchies()) removeTree(path.join(h, parent));
}

/**
 * Removes what servers that are gone (and, at close, this one) left in the hierarchies the
 * server does not manage: `datanexus-gym/<pid>` directories whose pid fails `keep`.
 */
export function sweepElsewhere(parentName: string, keep: (pid: number) => boolean): void {
  for (const h of hierarchies()) {
    for (const dir of subdirs(path.join(h, parentName))) {
      const name = path.basename(dir);
      if (/^\d+$/.test(name) && !keep(Number(name))) removeTree(dir);
    }
  }
}
