import { execa } from 'execa';
import { onExit } from 'signal-exit';
import { GraderError } from './errors.ts';
import { openResultsChannel, RESULTS_FD_ENV, type ResultsChannel } from './results-channel.ts';
import type { CommandRunner, RunnerOutput } from './types.ts';

const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const KILL_GRACE_MS = 2000;

// Process groups still running, killed if the grader itself exits (Ctrl-C, SIGTERM, crash), so a
// jest worker never outlives the grade that started it. A plain 'exit' listener is not enough: a
// signal ends node without 'exit', and execa's own cleanup kills only the group's leader.
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // signal-exit re-raises the signal afterwards only when nothing else listens for it, so a host
  // that handles SIGTERM itself (the environment server) keeps its own shutdown.
  onExit(() => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
}

/** Keeps the last `max` bytes of a stream: the end of jest's output is where its errors are. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
      this.truncated = true;
    }
  }
  toString(): string {
    let buf = Buffer.concat(this.chunks);
    if (buf.length > this.max) {
      buf = buf.subarray(buf.length - this.max);
      this.truncated = true;
    }
    return (this.truncated ? '[…truncated…]\n' : '') + buf.toString('utf8');
  }
}

/**
 * Runs a command as a plain process in its own process group. On timeout the whole group (jest and
 * its workers, and anything the tests spawned) gets SIGTERM, then SIGKILL after a grace period.
 * Output is capped: only the last `maxOutputBytes` of each stream are kept.
 */
export function processRunner(): CommandRunner {
  return async (cmd, args, opts): Promise<RunnerOutput> => {
    installExitHook();
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new Tail(max);
    const stderr = new Tail(max);
    // the results channel is the child's fd 3 (see runtime/jest-parent.cjs)
    const channel: ResultsChannel | undefined = opts.resultsChannel ? openResultsChannel() : undefined;
    const child = execa(cmd, args, {
      cwd: opts.cwd,
      env: channel ? { ...opts.env, [RESULTS_FD_ENV]: '3' } : opts.env,
      // execa passes a number as the parent's own fd (its types list only 3-9)
      stdio: (channel ? ['ignore', 'pipe', 'pipe', channel.writeFd] : ['ignore', 'pipe', 'pipe']) as ['ignore', 'pipe', 'pipe'],
      extendEnv: false,
      reject: false,
      detached: true,
      cleanup: true,
      buffer: false,
      stripFinalNewline: false,
    });
    channel?.spawned();
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    child.stdout?.on('data', (c: Buffer) => stdout.push(c));
    child.stderr?.on('data', (c: Buffer) => stderr.push(c));

    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
    }, opts.timeoutMs);

    try {
      const result = await child;
      if (result.failed && result.exitCode === undefined && result.signal === undefined && !timedOut) {
        // spawn itself failed (ENOENT, EACCES): there is no process to report on
        throw new GraderError('GRADER_ERR_INFRA', `could not start ${cmd}: ${result.shortMessage}`);
      }
      const results = channel ? (await channel.collect(KILL_GRACE_MS)).text : undefined;
      return { exitCode: result.exitCode ?? null, stdout: stdout.toString(), stderr: stderr.toString(), timedOut, ...(results !== undefined ? { results } : {}) };
    } finally {
      channel?.close();
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (pid !== undefined) {
        // anything the tests left running in the group goes with the run
        killGroup(pid, 'SIGKILL');
        liveGroups.delete(pid);
      }
    }
  };
}
