import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { isCategory, type Category } from './categories.ts';
import { GraderError } from './errors.ts';
import { normalizeJestJson } from './normalize.ts';
import { JEST_PARENT_ENTRY, parseChannel } from './results-channel.ts';
import { categoryOfId, testPathOf, titlesOf } from './results.ts';
import { processRunner } from './runner.ts';
import type { CommandRunner, FileDeps, InfraError, Results, RunResult } from './types.ts';

export const DEFAULT_SUITE_TIMEOUT_MS = 30 * 60 * 1000;
const JEST_BIN = path.join('node_modules', 'jest', 'bin', 'jest.js');
// Set, so jest never runs test files in band (in its parent, the process that holds the results
// channel); high enough that workers are not recycled in practice.
const WORKER_IDLE_MEMORY_LIMIT = '4GB';

export interface RunSuiteOptions {
  dir: string;
  category?: Category;
  /** Test files, relative to dir (`tests/unit/x.test.js`). */
  files?: string[];
  testNamePattern?: string;
  runner?: CommandRunner;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Expected test ids (the pristine inventory); narrowed here to the category / files / name pattern asked for. */
  expected?: string[];
  /**
   * Checked before jest starts (an answer other than undefined ends the run as an infrastructure
   * error) and again after a run that brought no results: healthy then, the code under test broke
   * the run, and with an expected list its tests come back `missing` (`broken`).
   */
  preflight?: () => Promise<InfraError | undefined>;
  /**
   * Record what every test file depended on (runtime/dep-recorder.cjs, preloaded into jest's
   * workers) and return it as `deps`. Only for trees whose code is trusted (a task's tree, the
   * all-fixed tree): the record comes from inside the run.
   */
  recordDeps?: boolean;
}

function normalizeFile(dir: string, file: string): string {
  const abs = path.resolve(dir, file);
  const rel = path.relative(path.resolve(dir), abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new GraderError('GRADER_ERR_INVALID_OPTION', `test file "${file}" is outside the tree ${dir}`);
  }
  return rel.split(path.sep).join('/');
}

/** The expected ids a selective run can report: same category, file and name filters as jest gets. */
export function narrowExpected(expected: readonly string[], sel: { category?: Category; files?: string[]; testNamePattern?: string }): string[] {
  let out = [...expected];
  if (sel.category) out = out.filter((id) => categoryOfId(id) === sel.category);
  if (sel.files && sel.files.length > 0) {
    const wanted = new Set(sel.files);
    out = out.filter((id) => wanted.has(testPathOf(id)));
  }
  if (sel.testNamePattern !== undefined) {
    const re = new RegExp(sel.testNamePattern, 'i'); // jest's own flags for --testNamePattern
    out = out.filter((id) => re.test(titlesOf(id).join(' ')));
  }
  return out;
}

function baseEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  // a grader run under `node --test` must not make jest's node processes believe they are test children
  delete env.NODE_TEST_CONTEXT;
  return { ...env, ...extra, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
}

function tailLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/** Checks the options (throws GRADER_ERR_INVALID_OPTION / FILE_NOT_FOUND); returns the tree and the files relative to it. */
function checkOptions(opts: RunSuiteOptions): { dir: string; files: string[] | undefined } {
  const dir = path.resolve(opts.dir);
  if (opts.category !== undefined && !isCategory(opts.category)) {
    throw new GraderError('GRADER_ERR_INVALID_OPTION', `unknown category "${String(opts.category)}"`);
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GraderError('GRADER_ERR_FILE_NOT_FOUND', `tree not found: ${dir}`);
  const files = opts.files?.map((f) => normalizeFile(dir, f));
  if (opts.testNamePattern !== undefined) {
    try {
      new RegExp(opts.testNamePattern, 'i');
    } catch (err) {
      throw new GraderError('GRADER_ERR_INVALID_OPTION', `--test-name-pattern is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  return { dir, files };
}

function infra(code: string, message: string, exitCode: number | null = null): RunResult {
  return { results: { tests: [] }, infraError: { code, message }, exitCode, timedOut: false };
}

/**
 * Runs jest in a tree and normalizes its report. Never throws for what happens inside the run:
 * a runner failure, a jest that does not start or a failed preflight comes back as `infraError`
 * (with empty results, so nobody can mistake it for a score). A run that exceeds its timeout is
 * the code's doing, not the infrastructure's: its expected tests come back `missing`, and so do
 * they when the run started but brought no results while the servers still answer (`broken`).
 * jest's parent is the grader's own entry; results come back over the runner's results channel.
 */
export async function runSuite(opts: RunSuiteOptions): Promise<RunResult> {
  const { dir, files } = checkOptions(opts);
  const sel = { ...(opts.category ? { category: opts.category } : {}), ...(files ? { files } : {}), ...(opts.testNamePattern !== undefined ? { testNamePattern: opts.testNamePattern } : {}) };
  const expected = opts.expected ? narrowExpected(opts.expected, sel) : undefined;

  if (!opts.runner && !existsSync(path.join(dir, JEST_BIN))) {
    return infra('GRADER_ERR_JEST_NOT_FOUND', `no ${JEST_BIN} in ${dir}: link the target's node_modules into the tree`);
  }
  if (opts.preflight) {
    const down = await opts.preflight();
    if (down) return infra(down.code, down.message);
  }

  const runner = opts.runner ?? processRunner();
  // The jest parent is the grader's own entry (runtime/jest-parent.cjs): its results come back
  // over a pipe, never through a file the tree's code could reach.
  const args = [JEST_PARENT_ENTRY, '--ci', '--passWithNoTests', '--no-watchman', `--workerIdleMemoryLimit=${WORKER_IDLE_MEMORY_LIMIT}`];
  if (opts.category) args.push('--selectProjects', opts.category);
  if (opts.testNamePattern !== undefined) args.push(`--testNamePattern=${opts.testNamePattern}`);
  if (files && files.length > 0) args.push('--runTestsByPath', ...files);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SUITE_TIMEOUT_MS;

  let out;
  try {
    const env = baseEnv(opts.env);
    if (opts.recordDeps) env.DN_RECORD_DEPS = '1';
    else delete env.DN_RECORD_DEPS;
    out = await runner('node', args, { cwd: dir, env, timeoutMs, resultsChannel: true });
  } catch (err) {
    return infra('GRADER_ERR_INFRA', `the runner failed: ${(err as Error).message}`);
  }
  if (out.timedOut) {
    return { results: { tests: allMissing(expected, `the suite did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`) }, exitCode: out.exitCode, timedOut: true };
  }
  const channel = parseChannel(out.results);
  const why = (): string => tailLines(`${out.stderr}\n${out.stdout}`, 20) || '(no output)';
  if (!channel.started) {
    // the grader's own entry never ran: nothing of the tree had a say yet
    return infra('GRADER_ERR_INFRA', `the test runner did not start (exit code ${String(out.exitCode)}):\n${why()}`, out.exitCode);
  }
  const runExecError = (channel.results as { runExecError?: { message?: unknown } } | undefined)?.runExecError;
  const failure = channel.results === undefined
    ? `the test run ended without results (exit code ${String(out.exitCode)})${channel.runError ? `: ${channel.runError.split('\n')[0]}` : ''}:\n${why()}`
    : runExecError ? `jest could not run the suite: ${String(runExecError.message ?? 'unknown error')}` : undefined;
  if (failure !== undefined) {
    const brokenRun = await judgeBrokenRun(opts.preflight, expected, failure, out.exitCode);
    return channel.results === undefined ? brokenRun : { ...brokenRun, rawJestJson: channel.results };
  }
  const results = normalizeJestJson(channel.results, { dir, ...(expected ? { expected } : {}) });
  const deps = opts.recordDeps ? parseDeps(channel.deps) : undefined;
  return { results, exitCode: out.exitCode, timedOut: false, rawJestJson: channel.results, ...(deps ? { deps } : {}) };
}

/** The recorder's per-file records, checked for shape; a malformed one counts as "depends on everything". */
function parseDeps(raw: unknown): Record<string, FileDeps> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
  const out: Record<string, FileDeps> = {};
  for (const [file, rec] of Object.entries(raw as Record<string, unknown>)) {
    const r = (rec ?? {}) as Record<string, unknown>;
    const read = strings(r.read);
    const listed = strings(r.listed);
    if (!read || !listed) out[file] = { read: [], listed: [], everything: 'malformed record' };
    else out[file] = { read, listed, ...(typeof r.everything === 'string' ? { everything: r.everything } : {}) };
  }
  return out;
}

function allMissing(expected: string[] | undefined, message: string): Results['tests'] {
  return (expected ?? []).map((id) => ({ id, category: categoryOfId(id) as Category, status: 'missing', message }));
}

/**
 * A run that started but brought no results. With servers that still answer, it is the code under
 * test's doing (it killed or wedged the jest parent): every expected test is `missing`, scored like
 * any failure. With a server down, or with nothing to compare against, it is infrastructure.
 */
async function judgeBrokenRun(
  preflight: RunSuiteOptions['preflight'],
  expected: string[] | undefined,
  failure: string,
  exitCode: number | null,
): Promise<RunResult> {
  const down = preflight ? await preflight() : { code: 'GRADER_ERR_INFRA', message: 'no preflight to tell a broken run from a broken infrastructure' };
  if (down || expected === undefined) {
    return { results: { tests: [] }, infraError: { code: down?.code ?? 'GRADER_ERR_INFRA', message: down ? `${failure}\n(${down.message})` : failure }, exitCode, timedOut: false };
  }
  return { results: { tests: allMissing(expected, failure.split('\n')[0]!) }, exitCode, timedOut: false, broken: failure };
}
