import { chmodSync, closeSync, constants, copyFileSync, lstatSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openResultsChannel } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import type { SandboxResult } from './types.ts';

/** Where the execute-only node binary and the grader's runtime files appear in a sandbox. */
export const SANDBOX_PROTECTED_NODE = '/opt/dn-runner/node';
export const SANDBOX_GRADER_RUNTIME = '/opt/dn-grader';

// The fds a bwrap run gets: 3 its arguments (--args 3), 4 and 5 /etc/passwd and /etc/group
// (--ro-bind-data), 6 the results channel when the run asked for one (DN_RESULTS_FD=6).
export const BWRAP_ARGS_FD = 3;
export const BWRAP_DATA_FDS = [4, 5] as const;
export const SANDBOX_RESULTS_FD = 6;

/**
 * Opens the fds above (bwrap's arguments, the data files, the results channel), spawns with them,
 * closes the host's copies at once, and puts what came over the channel in the result. `data` is
 * the same in every run, so its files are written once and held (constantFd).
 */
export async function spawnWithFds(
  fds: { args: readonly string[]; data: readonly [string, string]; resultsChannel: boolean },
  spawn: (extraFds: number[]) => Promise<SandboxResult>,
): Promise<SandboxResult> {
  const dataFds = [argsFd(fds.args), ...fds.data.map((d) => constantFd(d))];
  const channel = fds.resultsChannel ? openResultsChannel() : undefined;
  let running: Promise<SandboxResult>;
  try {
    running = spawn([...dataFds, ...(channel ? [channel.writeFd] : [])]);
  } finally {
    for (const fd of dataFds) closeSync(fd);
    channel?.spawned();
  }
  try {
    const result = await running;
    if (channel) result.results = (await channel.collect(1000)).text;
    return result;
  } finally {
    channel?.close();
  }
}

/**
 * An execute-only copy of the running node binary (owner root when we are root, mode 0711; 0111
 * otherwise). A process that execs a binary it cannot read is made non-dumpable by the kernel,
 * and its mm's user namespace becomes the one that owns the file (the host's, for root's file):
 * same-uid processes in the sandbox can then neither ptrace it nor open its /proc/<pid>/fd, mem or
 * environ. Shared by every server of this user and node version; rebuilt when missing.
 */
export function ensureProtectedNode(): string {
  const src = process.execPath;
  const st = statSync(src);
  const uid = process.getuid?.() ?? 0;
  const base = path.join(os.tmpdir(), `datanexus-xo-node-${uid}`);
  mkdirSync(base, { recursive: true, mode: 0o755 });
  const bst = lstatSync(base);
  // another user could have made it first: only a directory of ours that nobody else can write will do
  if (!bst.isDirectory() || bst.uid !== uid || (bst.mode & 0o022) !== 0) {
    throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', `${base} is not a private directory of uid ${uid}; remove it`);
  }
  chmodSync(base, 0o755);
  const mode = uid === 0 ? 0o711 : 0o111;
  const file = path.join(base, `node-${process.version}-${st.size}-${Math.trunc(st.mtimeMs)}`);
  const have = lstatSync(file, { throwIfNoEntry: false });
  if (have?.isFile() && have.uid === uid && (have.mode & 0o7777) === mode && have.size === st.size) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  copyFileSync(src, tmp);
  chmodSync(tmp, mode);
  renameSync(tmp, file);
  return file;
}

/**
 * bwrap's arguments in a file it reads through `--args FD` (NUL-separated), so they never show
 * in the sandbox's /proc/1/cmdline (bwrap's own argv) with the host paths they name. bwrap closes
 * the fd once it has read it. Returns the fd.
 */
export function argsFd(args: readonly string[]): number {
  return privateFd(args.map((a) => `${a}\0`).join(''));
}

// O_TMPFILE (Linux ≥ 3.11; its value is the generic one on x86 and arm): an unnamed file that no
// directory ever lists, so there is no name to race on and nothing to remove. Each run needs three
// such fds; making them with a named file in a fresh private directory cost about 1 ms a run quiet
// and 7 ms under load (mkdtemp, two opens, a recursive removal, each), a measurable share of `exec`.
const O_TMPFILE = 0o20000000 | 0o200000;
const TMPFILE_ARCHES = new Set(['x64', 'arm64', 'ia32', 'arm']);
let tmpfileWorks = process.platform === 'linux' && TMPFILE_ARCHES.has(process.arch);

function writeAll(fd: number, data: string): void {
  const buf = Buffer.from(data);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, off);
}

/** A read-write fd on an unnamed file holding `data`; undefined where O_TMPFILE is not to be had. */
function unnamedFile(data: string): number | undefined {
  if (!tmpfileWorks) return undefined;
  let fd: number;
  try {
    fd = openSync(os.tmpdir(), O_TMPFILE | constants.O_RDWR, 0o600);
  } catch {
    tmpfileWorks = false; // a file system or kernel without it: named files from now on
    return undefined;
  }
  try {
    writeAll(fd, data);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A new read-only open of a file we hold open: its own offset, so concurrent runs never share one. */
const reopenReadOnly = (fd: number): number => openSync(`/proc/self/fd/${fd}`, 'r');

/** A read-only fd on a private, already unlinked file holding `data` (for bwrap's --args and --ro-bind-data). */
export function privateFd(data: string): number {
  const unnamed = unnamedFile(data);
  if (unnamed !== undefined) {
    try {
      return reopenReadOnly(unnamed);
    } finally {
      closeSync(unnamed);
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dn-bwrap-data-'));
  try {
    const file = path.join(dir, 'data');
    const fd = openSync(file, 'wx+', 0o600);
    try {
      writeAll(fd, data);
      return openSync(file, 'r');
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const heldFiles = new Map<string, number>();

/**
 * privateFd for data that is the same in every run (the sandbox's /etc/passwd and /etc/group): the
 * unnamed file is written once and held; each run gets its own read-only open of it.
 */
export function constantFd(data: string): number {
  let held = heldFiles.get(data);
  if (held === undefined) {
    held = unnamedFile(data);
    if (held === undefined) return privateFd(data);
    heldFiles.set(data, held);
  }
  return reopenReadOnly(held);
}
