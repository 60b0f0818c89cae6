import path from 'node:path';
import type { Category } from '../categories.ts';
import { ERRORS, GraderError, type ErrorCode } from '../errors.ts';
import { testInventory } from '../inventory.ts';
import { categoryCounts, summarize } from '../results.ts';
import { runSuite } from '../run-suite.ts';
import type { CommandRunner, RunResult } from '../types.ts';
import { type CommandOutcome, type CommonOptions, preflightFor, resolveOpt, writeJsonAtomic } from './shared.ts';

export interface RunCommandOptions extends CommonOptions {
  dir: string;
  category?: Category;
  files?: string[];
  testNamePattern?: string;
  /** Where results.json goes (default: results.json in cwd). */
  out?: string;
  targetDir?: string;
  manifestPath?: string;
  /** Expected ids from the pristine inventory (default), or only what jest reports. */
  useInventory?: boolean;
  timeoutMs?: number;
  /** TCP check of PostgreSQL, Redis and RabbitMQ before the run (default true). */
  preflight?: boolean;
  runner?: CommandRunner;
}

export interface RunCommandJson {
  resultsFile: string;
  summary: ReturnType<typeof summarize>;
  categories: ReturnType<typeof categoryCounts>;
  exitCode: number | null;
  timedOut: boolean;
  expectedFrom: 'inventory' | 'reported';
}

/** Runs the suite (or part of it) in a tree and writes normalized results; infrastructure failures throw GRADER_ERR_INFRA. */
export async function executeRun(opts: RunCommandOptions): Promise<{ run: RunResult; expectedFrom: 'inventory' | 'reported' }> {
  const dir = path.resolve(opts.cwd, opts.dir);
  const targetDir = resolveOpt(opts.cwd, opts.targetDir);
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const useInventory = opts.useInventory !== false;
  const expected = useInventory
    ? await testInventory({ ...(targetDir ? { targetDir } : {}), ...(manifestPath ? { manifestPath } : {}), ...(opts.runner ? { runner: opts.runner } : {}) })
    : undefined;
  const preflight = preflightFor(opts.preflight);
  const run = await runSuite({
    dir,
    ...(opts.category ? { category: opts.category } : {}),
    ...(opts.files ? { files: opts.files } : {}),
    ...(opts.testNamePattern !== undefined ? { testNamePattern: opts.testNamePattern } : {}),
    ...(expected ? { expected } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(preflight ? { preflight } : {}),
    ...(opts.runner ? { runner: opts.runner } : {}),
  });
  return { run, expectedFrom: useInventory ? 'inventory' : 'reported' };
}

export async function runCommand(opts: RunCommandOptions): Promise<CommandOutcome<RunCommandJson>> {
  const { run, expectedFrom } = await executeRun(opts);
  if (run.infraError) {
    const code = run.infraError.code in ERRORS ? (run.infraError.code as ErrorCode) : 'GRADER_ERR_INFRA';
    throw new GraderError(code, run.infraError.message, { details: run.infraError });
  }
  const resultsFile = path.resolve(opts.cwd, opts.out ?? 'results.json');
  await writeJsonAtomic(resultsFile, run.results);
  const summary = summarize(run.results);
  const categories = categoryCounts(run.results);
  const json: RunCommandJson = { resultsFile, summary, categories, exitCode: run.exitCode, timedOut: run.timedOut, expectedFrom };
  const cats = Object.entries(categories).filter(([, c]) => c.total > 0).map(([name, c]) => `${name} ${c.passed}/${c.total}`).join(', ');
  const text = [
    `${summary.passed}/${summary.total} passed (${summary.failed} failed, ${summary.missing} missing, ${summary.skipped} skipped, ${summary.error} error)${run.timedOut ? ' — the suite timed out' : ''}`,
    cats ? `by category: ${cats}` : 'no tests',
    `results: ${resultsFile}`,
  ].join('\n');
  return { exitCode: 0, json, text };
}
