import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pidAlive } from '../util.ts';
import { isRoot } from './system.ts';

// Memory and process caps that polling cannot outrun: every sandboxed run gets a cgroup of its own
// in the cgroup v1 memory, pids and cpu hierarchies, which the kernel enforces on every allocation
// and fork. The run's first process joins the groups itself before it execs the command, so there
// is no moment at which anything of the run is outside them. Equal cpu.shares keep concurrent
// episodes fair with each other. Where cgroup v1 is not writable (not root, a v2-only host) the
// polling watchdogs remain the only aggregate cap, and /health says so.

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
type Controller = (typeof CONTROLLERS)[number];
/** One parent group per server process, so a server's leftovers are found by its pid. */
const PARENT = 'datanexus-gym';

export interface CgroupLimits {
  memoryBytes: number;
  maxProcesses: number;
}

export interface RunCgroup {
  /** cgroup.procs files the run's first process writes its own pid into before exec. */
  readonly procsFiles: string[];
  /** The kernel killed a process of this run because the group reached its memory limit. */
  oomKilled(): boolean;
  /** Kills every process still in the group (daemonized or not) and removes the group. */
  destroy(): Promise<void>;
  /**
   * Kills every process still in the group now and removes the group in the background (the
   * manager's settled() waits for it). For a run whose pid namespace has already lost its init, as
   * every bubblewrap run has once bwrap exits: what is left is already dying and cannot run again.
   */
  release(): void;
}

function groupDir(controller: Controller, ...parts: string[]): string {
  return path.join(ROOT, controller, PARENT, ...parts);
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function subgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

function killMembers(dir: string): void {
  for (const pid of readPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Kills everything in a group until it stays empty, then removes it; a group still busy is left for the next sweep. */
async function killAndRemove(dir: string): Promise<void> {
  // Subgroups first (a container runtime makes its own under a run's group): a group with children cannot be removed.
  for (const sub of subgroups(dir)) await killAndRemove(path.join(dir, sub));
  for (let attempt = 0; attempt < 100; attempt++) {
    killMembers(dir);
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') return;
    }
    // A SIGKILLed process leaves its groups as it exits, a moment after the signal. After a
    // normal run the one left is bwrap's pid 1 tearing down the sandbox's namespaces, which takes
    // about a millisecond: the first waits are short (a fixed 5 ms was most of exec's p95).
    await delay(Math.min(2 ** attempt, 50));
  }
}

export class CgroupManager {
  /** 'cgroup-v1' when runs get kernel-enforced memory, pids and cpu groups; 'none' otherwise. */
  readonly mode: 'cgroup-v1' | 'none';
  private readonly serverDir = String(process.pid);
  private seq = 0;
  /** One group made ahead per set of limits: making one (three mkdirs, four writes) is then off a run's path. */
  private readonly spares = new Map<string, RunCgroup>();
  /** Removals started by release(), which close() and settled() wait for. */
  private readonly removals = new Set<Promise<void>>();
  private closed = false;

  constructor() {
    this.mode = CgroupManager.usable() ? 'cgroup-v1' : 'none';
  }

  private static usable(): boolean {
    if (!isRoot() || process.platform !== 'linux') return false;
    try {
      for (const c of CONTROLLERS) {
        if (!existsSync(path.join(ROOT, c, 'cgroup.procs'))) return false;
        mkdirSync(groupDir(c), { recursive: true });
      }
      return existsSync(path.join(ROOT, 'memory', PARENT, 'memory.limit_in_bytes'));
    } catch {
      return false;
    }
  }

  /** Removes the groups of servers that are gone (a crashed server cannot clean up after itself). */
  async sweep(): Promise<void> {
    if (this.mode === 'none') return;
    for (const c of CONTROLLERS) {
      for (const name of subgroups(groupDir(c))) {
        if (/^\d+$/.test(name) && Number(name) !== process.pid && !pidAlive(Number(name))) await this.removeServerDir(c, name);
      }
    }
  }

  /** Every removal release() started has finished. */
  async settled(): Promise<void> {
    while (this.removals.size > 0) await Promise.allSettled([...this.removals]);
  }

  /** Removes this server's groups, spares included (at close: every run is over by then). */
  async close(): Promise<void> {
    this.closed = true;
    this.spares.clear();
    if (this.mode === 'none') return;
    await this.settled();
    for (const c of CONTROLLERS) await this.removeServerDir(c, this.serverDir);
  }

  private async removeServerDir(c: Controller, name: string): Promise<void> {
    // killAndRemove takes the run groups below first
    await killAndRemove(groupDir(c, name));
  }

  /** A fresh group for one run (the one made ahead for these limits, when there is one), or null when cgroups are not in use here. */
  create(limits: CgroupLimits): RunCgroup | null {
    if (this.mode === 'none') return null;
    const key = `${limits.memoryBytes}/${limits.maxProcesses}`;
    const spare = this.spares.get(key);
    this.spares.delete(key);
    setImmediate(() => this.makeSpare(key, limits));
    return spare ?? this.make(limits);
  }

  private makeSpare(key: string, limits: CgroupLimits): void {
    if (this.closed || this.spares.has(key)) return;
    try {
      this.spares.set(key, this.make(limits));
    } catch {
      // the next run makes its own, and says why if it cannot
    }
  }

  private track(removal: Promise<void>): void {
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }

  private make(limits: CgroupLimits): RunCgroup {
    const name = `run-${++this.seq}`;
    const dirs = CONTROLLERS.map((c) => groupDir(c, this.serverDir, name));
    for (const d of dirs) mkdirSync(d, { recursive: true });
    const [memory, pids, cpu] = dirs as [string, string, string];
    // memsw (memory + swap) must be raised after, and lowered before, the plain limit; it is new here, so set it after.
    writeFileSync(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    const memsw = path.join(memory, 'memory.memsw.limit_in_bytes');
    if (existsSync(memsw)) writeFileSync(memsw, String(limits.memoryBytes));
    writeFileSync(path.join(pids, 'pids.max'), String(limits.maxProcesses));
    writeFileSync(path.join(cpu, 'cpu.shares'), '1024');
    const destroy = async (): Promise<void> => {
      // the memory group is killed first: it holds every process of the run
      for (const d of dirs) await killAndRemove(d);
    };
    return {
      procsFiles: dirs.map((d) => path.join(d, 'cgroup.procs')),
      oomKilled: () => {
        try {
          const m = /^oom_kill (\d+)$/m.exec(readFileSync(path.join(memory, 'memory.oom_control'), 'utf8'));
          return m !== null && Number(m[1]) > 0;
        } catch {
          return false;
        }
      },
      destroy,
      release: () => {
        for (const d of dirs) killMembers(d);
        this.track(destroy());
      },
    };
  }
}

/** The command line that puts its own process into the groups, then becomes the command. */
export function joinGroupsArgv(cgroup: RunCgroup, file: string, args: string[]): { file: string; args: string[] } {
  const joins = cgroup.procsFiles.map((f) => `echo $$ > '${f}'`).join(' && ');
  return { file: '/bin/sh', args: ['-c', `${joins} && exec "$0" "$@"`, file, ...args] };
}
