import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { type Clock, systemClock } from './clock.ts';
import { EnvError } from './errors.ts';
import { reachableByOthers } from './sandbox/host-aliases.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_NAMESPACE_MODULE, DEFAULT_STATE_DIR, DEFAULT_TARGET_DIR } from './paths.ts';

export type SandboxKind = 'bwrap' | 'unsafe-process' | 'docker';
export const SANDBOX_KINDS: readonly SandboxKind[] = ['bwrap', 'unsafe-process', 'docker'];

export interface SandboxLimits {
  /** RLIMIT_DATA of every process in the sandbox (heap, anonymous memory): a process that fills memory dies on its own allocation failure. */
  processMemoryBytes: number;
  /** Sum of resident memory over the sandbox's whole process tree; a watchdog kills the tree beyond it. */
  totalMemoryBytes: number;
  /** RLIMIT_NPROC when the sandbox runs under its own host uid (bwrap started as root). Counts threads. */
  maxProcesses: number;
  /** RLIMIT_FSIZE: the largest file one write may create. */
  maxFileBytes: number;
  /** Size of the private tmpfs at /tmp. */
  tmpBytes: number;
  /** Disk use of a workspace beyond which a run that makes it grow is killed (a watchdog). */
  workspaceBytes: number;
}

export interface EnvOptions {
  /** The task source: the target tree tasks are materialized from. */
  targetDir: string;
  manifestPath: string;
  /** Fix patches; default: `fixes/` next to the manifest. */
  fixesDir: string | undefined;
  /**
   * The scenario index and documents (docs/scenarios.md); default: `scenarios/` next to the target
   * directory (a missing directory offers no scenario task); null: none. Never part of a workspace.
   */
  scenariosDir: string | null;
  /** Shared read-only into every workspace at node_modules/. */
  nodeModulesDir: string;
  /** The target's namespace module (createNamespace); null: episodes get no namespace. */
  namespaceModule: string | null;
  namespaceDatabases: string[];
  /** Namespaces kept ready (creating one takes seconds); 0 creates each at reset. */
  namespacePoolSize: number;
  /** Root of everything the server writes: cache/, workspaces/, trajectories.sqlite. */
  stateDir: string;
  cacheDir: string;
  workRoot: string;
  /** SQLite file of trajectories; ':memory:' for tests; null records nothing. */
  trajectoriesPath: string | null;
  sandbox: SandboxKind;
  limits: SandboxLimits;
  /** First host uid of the pool sandboxes run under when the server is root. */
  uidBase: number;
  uidCount: number;
  dockerImage: string;
  maxSteps: number;
  leaseMs: number;
  reapIntervalMs: number;
  maxEpisodes: number;
  execTimeoutMs: number;
  maxExecTimeoutMs: number;
  /** run_tests inside an episode. */
  testTimeoutMs: number;
  /** A grading or baseline run of the whole suite. */
  gradeTimeoutMs: number;
  /** Heavy runs (run_tests, grades, baselines) at once; the rest wait. */
  maxConcurrentRuns: number;
  /** Longest text field of an observation before it is cut (with a note saying so). */
  observationMaxChars: number;
  /** Bytes of each output stream a sandboxed command may keep; beyond outputKillBytes it is killed. */
  maxOutputBytes: number;
  outputKillBytes: number;
  bodyLimit: number;
  gradeCache: boolean;
  /**
   * `incremental` (default): a grade reruns only the test files the agent's changes can affect and
   * takes the rest from the task's baseline (docs/incremental-grading.md); `full` runs the suite.
   */
  grading: 'incremental' | 'full';
  /** With incremental grading, every Nth grade also runs whole and the full result wins on a mismatch (0: never). */
  gradingCrossCheckEvery: number;
  /** Extra DN_* variables passed to every sandboxed run (server URLs); defaults from process.env. */
  infraEnv: Record<string, string>;
  clock: Clock;
}

export type EnvOptionsInput = Partial<Omit<EnvOptions, 'limits'>> & { limits?: Partial<SandboxLimits> };

const MB = 1024 * 1024;

export const DEFAULT_LIMITS: SandboxLimits = Object.freeze({
  processMemoryBytes: 2048 * MB,
  totalMemoryBytes: 3072 * MB,
  maxProcesses: 1024,
  maxFileBytes: 256 * MB,
  tmpBytes: 512 * MB,
  workspaceBytes: 1024 * MB,
});

const INFRA_VARS = ['DN_PG_ADMIN_URL', 'DN_REDIS_URL', 'DN_AMQP_URL', 'DN_RABBIT_MANAGEMENT_URL'];

function infraFromProcessEnv(): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const k of INFRA_VARS) {
    const v = process.env[k];
    if (v) out[k] = v;
  }
  return out;
}

function positive(name: string, value: number, { integer = true, allowZero = false } = {}): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (!ok) throw new EnvError('ENV_ERR_INVALID_OPTION', `option ${name}: expected a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Workspaces go under the state directory, unless a sandbox uid could not reach them there (a clone
 * in root's home or in a 0700 home directory, the server running as root): then under /run, one
 * directory per state directory. They are size-capped tmpfs mounts either way, so nothing of the
 * disk is used.
 */
function defaultWorkRoot(stateDir: string): string {
  const inState = path.join(stateDir, 'workspaces');
  if (process.getuid?.() !== 0 || reachableByOthers(inState)) return inState;
  return path.join('/run/datanexus-gym', createHash('sha256').update(stateDir).digest('hex').slice(0, 16), 'workspaces');
}

function gradingMode(value: unknown): 'incremental' | 'full' {
  if (value === undefined) return 'incremental';
  if (value !== 'incremental' && value !== 'full') throw new EnvError('ENV_ERR_INVALID_OPTION', `option grading: expected "incremental" or "full", got ${JSON.stringify(value)}`);
  return value;
}

/** Fills in defaults and checks every value; the result is a frozen null-prototype object. */
export function resolveOptions(input: EnvOptionsInput = {}): Readonly<EnvOptions> {
  const o: EnvOptionsInput = Object.assign(Object.create(null), input);
  const targetDir = path.resolve(o.targetDir ?? DEFAULT_TARGET_DIR);
  const stateDir = path.resolve(o.stateDir ?? DEFAULT_STATE_DIR);
  const sandbox = o.sandbox ?? 'bwrap';
  if (!SANDBOX_KINDS.includes(sandbox)) {
    throw new EnvError('ENV_ERR_INVALID_OPTION', `option sandbox: expected one of ${SANDBOX_KINDS.join(', ')}, got ${JSON.stringify(sandbox)}`);
  }
  const limits: SandboxLimits = Object.assign(Object.create(null), DEFAULT_LIMITS, o.limits);
  for (const [k, v] of Object.entries(limits)) positive(`limits.${k}`, v);

  const resolved: EnvOptions = Object.assign(Object.create(null), {
    targetDir,
    manifestPath: path.resolve(o.manifestPath ?? DEFAULT_MANIFEST_PATH),
    fixesDir: o.fixesDir === undefined ? undefined : path.resolve(o.fixesDir),
    scenariosDir: o.scenariosDir === null ? null : path.resolve(o.scenariosDir ?? path.join(path.dirname(targetDir), 'scenarios')),
    nodeModulesDir: path.resolve(o.nodeModulesDir ?? path.join(targetDir, 'node_modules')),
    namespaceModule: o.namespaceModule === null ? null : path.resolve(o.namespaceModule ?? DEFAULT_NAMESPACE_MODULE),
    namespaceDatabases: o.namespaceDatabases ?? ['pipeline', 'users', 'metrics', 'billing'],
    namespacePoolSize: positive('namespacePoolSize', o.namespacePoolSize ?? 2, { allowZero: true }),
    stateDir,
    cacheDir: path.resolve(o.cacheDir ?? path.join(stateDir, 'cache')),
    workRoot: path.resolve(o.workRoot ?? defaultWorkRoot(stateDir)),
    trajectoriesPath: o.trajectoriesPath === null ? null : o.trajectoriesPath === ':memory:' ? ':memory:' : path.resolve(o.trajectoriesPath ?? path.join(stateDir, 'trajectories.sqlite')),
    sandbox,
    limits,
    uidBase: positive('uidBase', o.uidBase ?? 420_000),
    uidCount: positive('uidCount', o.uidCount ?? 512),
    dockerImage: o.dockerImage ?? 'localhost/datanexus-runner:latest',
    maxSteps: positive('maxSteps', o.maxSteps ?? 100),
    leaseMs: positive('leaseMs', o.leaseMs ?? 15 * 60_000),
    reapIntervalMs: positive('reapIntervalMs', o.reapIntervalMs ?? 30_000),
    maxEpisodes: positive('maxEpisodes', o.maxEpisodes ?? 16),
    execTimeoutMs: positive('execTimeoutMs', o.execTimeoutMs ?? 30_000),
    maxExecTimeoutMs: positive('maxExecTimeoutMs', o.maxExecTimeoutMs ?? 300_000),
    testTimeoutMs: positive('testTimeoutMs', o.testTimeoutMs ?? 15 * 60_000),
    gradeTimeoutMs: positive('gradeTimeoutMs', o.gradeTimeoutMs ?? 30 * 60_000),
    maxConcurrentRuns: positive('maxConcurrentRuns', o.maxConcurrentRuns ?? Math.max(2, os.availableParallelism())),
    observationMaxChars: positive('observationMaxChars', o.observationMaxChars ?? 16_000),
    maxOutputBytes: positive('maxOutputBytes', o.maxOutputBytes ?? 1 * MB),
    outputKillBytes: positive('outputKillBytes', o.outputKillBytes ?? 64 * MB),
    bodyLimit: positive('bodyLimit', o.bodyLimit ?? 5 * MB),
    gradeCache: o.gradeCache ?? true,
    grading: gradingMode(o.grading),
    gradingCrossCheckEvery: positive('gradingCrossCheckEvery', o.gradingCrossCheckEvery ?? 10, { allowZero: true }),
    infraEnv: Object.assign(Object.create(null), infraFromProcessEnv(), o.infraEnv),
    clock: o.clock ?? systemClock,
  } satisfies EnvOptions);
  if (resolved.execTimeoutMs > resolved.maxExecTimeoutMs) {
    throw new EnvError('ENV_ERR_INVALID_OPTION', `option execTimeoutMs (${resolved.execTimeoutMs}) exceeds maxExecTimeoutMs (${resolved.maxExecTimeoutMs})`);
  }
  return Object.freeze(resolved);
}
