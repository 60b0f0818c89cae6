import type { SandboxKind } from '../options.ts';

/** A host directory shown inside the sandbox. */
export interface Mount {
  host: string;
  sandbox: string;
  readOnly: boolean;
}

/**
 * One command to run. Paths in `args`, `env` and `cwd` are sandbox paths (/workspace, /data); a
 * backend without its own file-system view translates them to the host paths behind them.
 */
export interface SandboxRun {
  command: string;
  args: string[];
  /** Host directory shown read-write at /workspace. */
  root: string;
  /** Working directory relative to /workspace (default: /workspace itself). */
  cwd?: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes of each stream kept (head and tail); the middle is dropped and counted. */
  maxOutputBytes: number;
  /** A command whose output passes this many bytes is killed: output nobody reads is not worth the CPU. */
  outputKillBytes?: number;
  input?: string | Buffer;
  signal?: AbortSignal;
  /** Shared dependencies, shown read-only at /workspace/node_modules. */
  nodeModules?: string | null;
  mounts?: Mount[];
  /** Host uid the run executes as (bwrap started as root); leased from the backend's pool. */
  uid?: number;
  /**
   * Give the command a results channel (a pipe; its fd number in DN_RESULTS_FD) and return what
   * came over it. Only the grader's jest parent asks for one.
   */
  resultsChannel?: boolean;
}

export interface CapturedOutput {
  text: string;
  /** Bytes the command wrote, kept or not. */
  bytes: number;
  truncated: boolean;
}

export type KillReason = 'timeout' | 'memory' | 'output' | 'disk' | 'abort';

export interface SandboxResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
  timedOut: boolean;
  killedBy: KillReason | null;
  durationMs: number;
  /** What came over the results channel, when one was asked for. */
  results?: string;
}

export interface UidLease {
  readonly uid: number;
  release(): void;
}

/** How each cap is enforced: by the kernel (cgroup, tmpfs, per-uid rlimit) or by a polling watchdog. */
export interface LimitsInForce {
  memory: 'cgroup-v1' | 'watchdog' | 'docker';
  processes: 'cgroup-v1' | 'rlimit-per-uid' | 'docker' | 'none';
  cpu: 'cgroup-v1-shares' | 'docker' | 'none';
  disk: 'tmpfs' | 'watchdog';
}

export interface SandboxBackend {
  readonly kind: SandboxKind;
  /** False for the development-only process backend: it isolates nothing. */
  readonly isolated: boolean;
  readonly description: string;
  readonly limitsInForce: LimitsInForce;
  /**
   * Sandbox path of a node binary the sandbox user may execute but not read: a process started
   * from it is non-dumpable (no ptrace, no /proc/<pid>/fd or mem for its peers). Null: plain `node`.
   */
  readonly protectedNode: string | null;
  /** Throws ENV_ERR_SANDBOX_UNAVAILABLE with the reason when the backend cannot run here. */
  check(): Promise<void>;
  /** A host uid for one episode or one grading run, or null when this backend does not use them. */
  leaseUid(): UidLease | null;
  /**
   * Creates a directory (an episode's, a grading run's) whose whole content is capped at the
   * workspace limit: a size-limited file system where the backend can mount one. Call it before
   * putting anything in the directory; removeTree detaches it.
   */
  createWorkspace(dir: string): Promise<void>;
  /** Makes a fresh workspace directory usable by runs under `uid` (mount points, ownership). */
  prepareWorkspace(dir: string, uid: number | null): Promise<void>;
  run(req: SandboxRun): Promise<SandboxResult>;
  /** Kills every run still going; later runs fail. */
  close(): Promise<void>;
}
