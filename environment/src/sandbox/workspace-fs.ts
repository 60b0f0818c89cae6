import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { MountHelper } from './mount-helper.ts';
import { nativeLauncher } from './native-launcher.ts';
import { isRoot, which } from './system.ts';

// A workspace's disk use is capped by the kernel: every episode directory and every grading tree is
// a tmpfs of its own, mounted by the (root) server with a fixed size, so a write past the cap fails
// with ENOSPC at once instead of racing a watchdog that looks twice a second. tmpfs pages are
// memory, charged to the memory cgroup of the run that writes them, so a full workspace also counts
// against its sandbox's memory limit. Without root (or where mount is refused) the disk watchdog is
// the fallback, and /health says which is in force.

const exec = promisify(execFile);
/** Files and directories one workspace may hold: the target has a few hundred; this stops inode floods. */
const MAX_INODES = 262_144;
const mounted = new Set<string>();

let helper: MountHelper | undefined;

/** The long-lived mount helper (mount-helper.ts), where the native launcher is built; else mount(8). */
function mountHelper(): MountHelper | undefined {
  const launcher = nativeLauncher();
  return launcher ? (helper ??= new MountHelper(launcher)) : undefined;
}

export type DiskCapMode = 'tmpfs' | 'watchdog';

/** Unescapes a mount point as /proc/self/mountinfo writes it (\040 for a space, and so on). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  let info: string;
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const base = path.resolve(dir);
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = unescapeMountPath(mp);
    if (p === base || p.startsWith(`${base}/`)) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Detaches every mount at or below `dir` (lazily: a process still inside cannot keep it busy). */
export async function unmountUnder(dir: string): Promise<void> {
  const points = mountsUnder(dir);
  if (points.length === 0) return;
  const mounter = mountHelper();
  if (mounter) await mounter.umount(points).catch(() => undefined);
  else for (const mp of points) await exec('umount', ['-l', mp]).catch(() => undefined);
  for (const mp of points) mounted.delete(mp);
}

/** True when `dir` is a size-capped workspace file system made here. */
export function isCapped(dir: string): boolean {
  return mounted.has(path.resolve(dir));
}

export class WorkspaceFs {
  private modeValue: DiskCapMode = 'watchdog';

  get mode(): DiskCapMode {
    return this.modeValue;
  }

  /** Finds out once whether this process may mount a capped tmpfs under `workRoot`. */
  async check(workRoot: string): Promise<void> {
    if (!isRoot() || process.platform !== 'linux' || (!nativeLauncher() && (!which('mount') || !which('umount')))) return;
    await mkdir(workRoot, { recursive: true });
    const probe = await mkdtemp(path.join(workRoot, '.fs-check-'));
    try {
      await this.mountCapped(probe, 1024 * 1024);
      this.modeValue = 'tmpfs';
    } catch {
      this.modeValue = 'watchdog';
    } finally {
      await unmountUnder(probe);
      await rm(probe, { recursive: true, force: true });
    }
  }

  /**
   * Creates `dir` (which must not exist yet, or be empty) as a directory whose whole content may not
   * pass `limitBytes`: a tmpfs mount when possible, else a plain directory the watchdog measures.
   */
  async create(dir: string, limitBytes: number): Promise<void> {
    await mkdir(dir, { recursive: true });
    if (this.modeValue === 'tmpfs') await this.mountCapped(dir, limitBytes);
  }

  private async mountCapped(dir: string, limitBytes: number): Promise<void> {
    const mounter = mountHelper();
    if (mounter) await mounter.mountTmpfs(dir, limitBytes, MAX_INODES);
    else await exec('mount', ['-t', 'tmpfs', '-o', `size=${limitBytes},nr_inodes=${MAX_INODES},mode=0755,nosuid,nodev`, 'dn-workspace', dir]);
    mounted.add(path.resolve(dir));
  }
}
