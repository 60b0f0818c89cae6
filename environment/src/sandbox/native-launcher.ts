import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot, which } from './system.ts';

// dn-launch (environment/native/dn-launch.c) does in one process start what a root run otherwise
// needs four for (sh joining the cgroups, nsenter, setpriv, prlimit), and mounts and detaches
// workspace file systems without mount(8) and umount(8). It is built from source on first use with
// the host's C compiler and kept by the hash of its source; where there is no compiler (or
// DN_NATIVE_LAUNCHER=0), the util-linux programs do the same work, only slower
// (docs/resource-limits.md, "Starting a run"). dn-netns (dn-netns.c) opens a principal's network
// namespace with its gate sockets in one process instead of three (docs/isolation.md).

const NATIVE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native');

/** The native programs, each one C file in environment/native (dn-netns: docs/isolation.md). */
export type NativeProgram = 'dn-launch' | 'dn-netns';

const resolved = new Map<NativeProgram, string | null>();

/** The launcher's path, built if needed; null when it is off, not needed (not root) or cannot be built. */
export function nativeLauncher(): string | null {
  return nativeProgram('dn-launch');
}

/** A native program's path, built if needed; null when native programs are off, not needed (not root) or cannot be built. */
export function nativeProgram(name: NativeProgram): string | null {
  if (!resolved.has(name)) resolved.set(name, build(name));
  return resolved.get(name)!;
}

function build(name: NativeProgram): string | null {
  if (process.env.DN_NATIVE_LAUNCHER === '0' || !isRoot() || process.platform !== 'linux') return null;
  const cc = which('cc') ?? which('gcc');
  if (!cc) return null;
  const sourceFile = path.join(NATIVE_DIR, `${name}.c`);
  let source: Buffer;
  try {
    source = readFileSync(sourceFile);
  } catch {
    return null;
  }
  const dir = path.join(os.tmpdir(), 'datanexus-native-0');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  // root's own private directory, or nothing: the programs run as root with the arguments we give them
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o077) !== 0) return null;
  const file = path.join(dir, `${name}-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
  const have = lstatSync(file, { throwIfNoEntry: false });
  if (have?.isFile() && have.uid === 0) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // static when the C library allows it (no loader work at each start), dynamic otherwise
    try {
      execFileSync(cc, ['-O2', '-static', '-o', tmp, sourceFile], { stdio: 'ignore', timeout: 60_000 });
    } catch {
      execFileSync(cc, ['-O2', '-o', tmp, sourceFile], { stdio: 'ignore', timeout: 60_000 });
    }
    chmodSync(tmp, 0o700);
    renameSync(tmp, file);
    return file;
  } catch {
    rmSync(tmp, { force: true });
    return null;
  }
}

/** `dn-launch exec` arguments for a run: join its cgroups, its network namespace, set rlimits, drop to uid. */
export function launchArgv(launcher: string, o: {
  cgroupProcs: readonly string[];
  netns?: string;
  rlimits: Record<string, number>;
  uid?: number;
  file: string;
  args: readonly string[];
}): { file: string; args: string[] } {
  const args = ['exec'];
  for (const procs of o.cgroupProcs) args.push('--cgroup', procs);
  if (o.netns) args.push('--netns', o.netns);
  for (const [name, value] of Object.entries(o.rlimits)) args.push('--rlimit', `${name}=${value}`);
  if (o.uid !== undefined) args.push('--uid', String(o.uid));
  args.push('--', o.file, ...o.args);
  return { file: launcher, args };
}
