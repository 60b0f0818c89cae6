import type { DepMap } from '../depmap/map.ts';
import type { BugValidation, Manifest } from '../manifest.ts';
import type { ProgressFn } from '../progress.ts';
import type { CommandRunner, InfraError } from '../types.ts';

export interface VerifyOptions {
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  /** Only these bugs (default: every active bug). */
  bugs?: string[];
  /**
   * Run the shipped-target check (4): the shipped tree fails exactly the union of every active
   * bug's failToPass. Default: only when every bug is verified; set it to check after a subset.
   */
  shipped?: boolean;
  /** k: runs per suite check (default 3; quick mode forces 1). */
  repeat?: number;
  quick?: boolean;
  /**
   * Every bug and variant tree runs the whole suite (the release proof). Default: each runs the
   * test files its patches can affect, by the dependency map recorded on the all-fixed tree's first
   * run (docs/incremental-grading.md); the all-fixed and shipped trees always run whole.
   */
  full?: boolean;
  /**
   * Enforce bug validity v2 (default: the manifest's `requireValidity`): a bug without an
   * alternative or a wrong fix, or with a dependsOn other than the measured one, fails.
   */
  requireValidity?: boolean;
  runner?: CommandRunner;
  clock?: () => Date;
  progress?: ProgressFn;
  /** Write validation records into the manifest and the report files (default true). */
  write?: boolean;
  /**
   * Keep a bug's recorded validation instead of running its checks when what they read is
   * unchanged (verify/reuse.ts) and it proved at least what this verification asks. The static,
   * apply, all-fixed and shipped checks always run.
   */
  reuse?: boolean;
  reportPath?: string;
  /**
   * How many bugs are verified at once (default 1). Their runs are independent trees in namespaces
   * of their own, so only the machine bounds it; records are still written one at a time.
   */
  jobs?: number;
  nodeModulesDir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  preflight?: () => Promise<InfraError | undefined>;
}

export type VerifyStep = 'static' | 'apply' | 'inventory' | 'all-fixed' | 'bug' | 'alternative' | 'wrong-fix' | 'shipped';

export interface CheckBase {
  step: VerifyStep;
  label: string;
  bug?: string;
  run?: number;
  /** alternative / wrong-fix checks: the patch, relative to the manifest. */
  patch?: string;
}

export interface VerifyCheck extends CheckBase {
  ok: boolean;
  detail?: string;
  /** Tests that did not pass but were not expected to fail. */
  unexpectedFailures?: string[];
  /** Tests expected to fail that passed. */
  unexpectedPasses?: string[];
  /** alternative: failToPass tests that did not pass; wrong fix: those that caught it. */
  failingFailToPass?: string[];
  /** Tests outside failToPass that did not pass (every test passes in the all-fixed tree). */
  regressions?: string[];
}

export interface BugVerdict {
  ok: boolean;
  stability: string;
  /** "n/n" over alternatives × runs; absent when the bug records none. */
  alternatives?: string;
  /** "n/n" over wrong fixes × runs; absent when the bug records none. */
  wrongFixesCaught?: string;
  /** Measured from the failToPass lists (see masking.ts). */
  dependsOn: string[];
  recordedDependsOn: string[];
  /** Who masks it and how many of its failToPass tests: "L1 (3/4)". */
  masking: string;
  fullyMasked: boolean;
  validation?: BugValidation;
  problems: string[];
  warnings: string[];
  /** The recorded validation stood for the runs: its inputs were unchanged (`reuse`). */
  reused?: boolean;
  /** Runs counted from the recorded validation, which this verification topped up to k. */
  keptRuns?: number;
}

export interface VerifyReport {
  ok: boolean;
  graderVersion: string;
  date: string;
  mode: 'full' | 'quick';
  repeat: number;
  /** What the bug and variant trees ran: the whole suite, or the files their patches can affect. */
  selection: 'whole-suite' | 'affected';
  requireValidity: boolean;
  target: string;
  /** hashTree of the snapshot of the target every step used. */
  targetHash: string;
  manifest: string;
  inventorySize: number;
  /** Problems that are not one bug's: the all-fixed suite, fixes combined, the shipped target. */
  problems: string[];
  /** What fails only once requireValidity is set, and other things worth a look. */
  warnings: string[];
  /** Active bugs all of whose failToPass tests also fail for another bug. */
  fullyMasked: string[];
  bugs: Record<string, BugVerdict>;
  checks: VerifyCheck[];
  durationMs: number;
  reportFile?: string;
}

/** What every step shares: the frozen target, the manifest, the scratch area, the progress count. */
export interface Ctx {
  opts: VerifyOptions;
  targetDir: string;
  manifestPath: string;
  manifestDir: string;
  fixesDir: string;
  manifest: Manifest;
  tmp: string;
  nodeModules: string;
  inventory: string[];
  quick: boolean;
  full: boolean;
  /** The all-fixed tree's dependency map, once its first run recorded it. */
  selection?: { map: DepMap; allFixedFiles: Set<string> };
  repeat: number;
  checks: VerifyCheck[];
  step: number;
  total: number;
  seq: number;
}
