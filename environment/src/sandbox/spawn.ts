import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { EnvError } from '../errors.ts';
import { OutputCapture } from './capture.ts';
import type { KillReason, SandboxResult, SandboxRun } from './types.ts';
import { joinGroupsArgv, type RunCgroup } from './cgroup.ts';
import { diskWatchdog } from './disk-watchdog.ts';
import { oomWatch } from './oom-watch.ts';
import { memoryWatchdog } from './watchdog.ts';

/** What the host process gets: the run's caps as the sandbox run states them, in host terms. */
export interface SpawnSpec extends Pick<SandboxRun, 'timeoutMs' | 'maxOutputBytes' | 'outputKillBytes' | 'input' | 'signal'> {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Resident memory of the whole process tree beyond which it is killed (polled; only without a cgroup). */
  treeMemoryBytes?: number;
  /** The run's own cgroup: the kernel caps its memory and processes; it is released when the run ends. */
  cgroup?: RunCgroup | null;
  /** The command joins `cgroup` itself as its first act (dn-launch): no shell wrapper is needed. */
  joinsCgroup?: boolean;
  /** A host directory (the workspace) whose growth beyond `limitBytes` kills the run. */
  diskWatch?: { dir: string; limitBytes: number };
  /** The backend's set of kill functions of running processes (for its close()). */
  live: Set<() => void>;
  /** Host fds the child gets as its fds 3, 4, … (bwrap's --args file, the results channel). */
  extraFds?: number[];
  /** Another reason to kill the run, watched while it runs (a container's own cgroup); returns the unwatch. */
  watch?: (kill: (reason: KillReason) => void) => () => void;
  /**
   * Called on every kill, after the host process group is killed: what lives outside that group
   * (a container, which outlives its killed client) is stopped here.
   */
  onKill?: (reason: KillReason) => void;
}

// After the main process exits, its stdout may still be held open by something it left behind;
// the run is over anyway, so the group is killed and the streams closed after this grace period.
const CLOSE_GRACE_MS = 1000;

/** Kills every process of a backend's set (server shutdown). */
export function killAll(live: Set<() => void>): void {
  for (const kill of [...live]) kill();
}

function killTree(pid: number): void {
  // The child leads its own process group (detached); for bwrap, killing it tears down the
  // sandbox's pid namespace and with it every process inside, daemonized or not.
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // ESRCH
  }
}

/** Ends what the exited main process left holding its output open, once the grace period is over. */
function closeAfterGrace(child: ChildProcess): NodeJS.Timeout {
  return setTimeout(() => {
    if (child.pid !== undefined) killTree(child.pid);
    child.stdout?.destroy();
    child.stderr?.destroy();
  }, CLOSE_GRACE_MS);
}

/** Every watch that can end the run besides its timeout; returns one function that stops them all. */
function watchLimits(spec: SpawnSpec, pid: number | undefined, kill: (reason: KillReason) => void): () => void {
  const stops: Array<(() => void) | undefined> = [];
  if (spec.cgroup) {
    // The kernel has already enforced the limit when this fires; what is left of the tree goes too.
    stops.push(oomWatch.watch(spec.cgroup, () => kill('memory')));
  } else if (spec.treeMemoryBytes !== undefined && pid !== undefined) {
    stops.push(memoryWatchdog.watch(pid, spec.treeMemoryBytes, () => kill('memory')));
  }
  if (spec.diskWatch !== undefined) {
    stops.push(diskWatchdog.watch(spec.diskWatch.dir, spec.diskWatch.limitBytes, () => kill('disk')));
  }
  stops.push(spec.watch?.(kill));
  return () => {
    for (const stop of stops) stop?.();
  };
}

/** Captures stdout and stderr up to the run's cap, killing the run once both together pass `outputKillBytes`. */
function captureOutput(spec: SpawnSpec, child: ChildProcess, kill: (reason: KillReason) => void): { stdout: OutputCapture; stderr: OutputCapture } {
  const stdout = new OutputCapture(spec.maxOutputBytes);
  const stderr = new OutputCapture(spec.maxOutputBytes);
  const killBytes = spec.outputKillBytes;
  const onData = (capture: OutputCapture) => (chunk: Buffer): void => {
    capture.push(chunk);
    if (killBytes !== undefined && stdout.bytes + stderr.bytes > killBytes) kill('output');
  };
  child.stdout!.on('data', onData(stdout));
  child.stderr!.on('data', onData(stderr));
  if (spec.input !== undefined && child.stdin) {
    child.stdin.on('error', () => {
      // EPIPE: the command did not read its input; what it did instead is in its output
    });
    child.stdin.end(spec.input);
  }
  return { stdout, stderr };
}

/**
 * Runs one process in its own process group with a hard timeout, output caps, an optional
 * memory watch over its whole tree, and an abort signal. Never rejects for anything the command
 * does; rejects with ENV_ERR_INFRA when the process cannot be started at all.
 */
export function spawnContained(spec: SpawnSpec): Promise<SandboxResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    if (spec.signal?.aborted) {
      reject(new EnvError('ENV_ERR_INFRA', 'the run was cancelled before it started'));
      return;
    }
    const argv = spec.cgroup && !spec.joinsCgroup ? joinGroupsArgv(spec.cgroup, spec.file, spec.args) : { file: spec.file, args: spec.args };
    const stdio: StdioOptions = [spec.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(spec.extraFds ?? [])];
    const child = spawn(argv.file, argv.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio });
    let killedBy: KillReason | null = null;
    let [exitCode, exitSignal]: [number | null, NodeJS.Signals | null] = [null, null];
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const kill = (reason: KillReason): void => {
      if (killedBy === null) killedBy = reason;
      if (child.pid !== undefined) killTree(child.pid);
      spec.onKill?.(reason);
    };
    const onAbort = (): void => kill('abort');
    spec.live.add(onAbort);
    const timer = setTimeout(() => kill('timeout'), spec.timeoutMs);
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const unwatch = watchLimits(spec, child.pid, kill);
    const { stdout, stderr } = captureOutput(spec, child, kill);

    const cleanup = (): void => {
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      unwatch();
      spec.signal?.removeEventListener('abort', onAbort);
      spec.live.delete(onAbort);
    };

    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      cleanup();
      spec.cgroup?.release();
      reject(new EnvError('ENV_ERR_INFRA', `could not start ${spec.file}: ${err.message}`, { cause: err }));
    });
    child.on('exit', (code, signal) => {
      [exitCode, exitSignal] = [code, signal];
      graceTimer = closeAfterGrace(child);
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      // Whatever the command left in its group does not outlive the run.
      if (child.pid !== undefined) killTree(child.pid);
      cleanup();
      if (killedBy === null && spec.cgroup?.oomKilled()) killedBy = 'memory';
      // Killed now, removed in the background: bwrap has exited, so its pid namespace has lost its
      // init and every process left in it is already being killed by the kernel (cgroup.ts, release).
      spec.cgroup?.release();
      resolve({
        exitCode: exitCode ?? code, signal: exitSignal ?? signal, stdout: stdout.result(), stderr: stderr.result(),
        timedOut: killedBy === 'timeout', killedBy, durationMs: performance.now() - started,
      });
    });
  });
}
