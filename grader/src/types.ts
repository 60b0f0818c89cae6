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
}

export interface RunnerOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes?: number;
}

export interface RunnerOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs one command. The environment server swaps in a sandboxed runner; the grader never assumes a plain process. */
export type CommandRunner = (cmd: string, args: string[], opts: RunnerOptions) => Promise<RunnerOutput>;
