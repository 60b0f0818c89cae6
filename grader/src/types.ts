import type { Category } from './categories.ts';

export type TestStatus = 'passed' | 'failed' | 'skipped' | 'missing' | 'error';

export const TEST_STATUSES: readonly TestStatus[] = ['passed', 'failed', 'skipped', 'missing', 'error'];

export interface TestResult {
  id: string;
  category: Category;
  status: TestStatus;
  durationMs?: number;
  message?: string;
}

export interface Results {
  tests: TestResult[];
}

export interface InfraError {
  code: string;
  message: string;
}

export interface RunResult {
  results: Results;
  infraError?: InfraError;
  exitCode: number | null;
  timedOut: boolean;
  rawJestJson?: unknown;
  /**
   * Set when the run ended without results although the infrastructure was healthy before and
   * after it: the code under test broke the run, so every expected test is `missing`.
   */
  broken?: string;
  /** What each test file depended on (`runSuite({ recordDeps: true })`; see src/depmap/). */
  deps?: Record<string, FileDeps>;
}

/** One test file's recorded dependencies, paths relative to the tree. */
export interface FileDeps {
  /** Files read, stat'ed, opened or probed (existing or not), modules loaded included. */
  read: string[];
  /** Directories listed. */
  listed: string[];
  /** Set when the file did something whose inputs cannot be known (it spawned a process). */
  everything?: string;
}

export interface RunnerOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes?: number;
  /**
   * Give the command a results channel (a pipe the jest parent writes its results to; see
   * runtime/jest-parent.cjs) and return what came over it as `results`.
   */
  resultsChannel?: boolean;
}

export interface RunnerOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** What the command wrote on its results channel (when one was asked for), complete or not. */
  results?: string;
}

/** Runs one command. The environment server swaps in a sandboxed runner; the grader never assumes a plain process. */
export type CommandRunner = (cmd: string, args: string[], opts: RunnerOptions) => Promise<RunnerOutput>;
