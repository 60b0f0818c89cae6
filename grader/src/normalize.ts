import { realpathSync } from 'node:fs';
import path from 'node:path';
import { isCategory, type Category } from './categories.ts';
import { GraderError } from './errors.ts';
import { categoryOfId, ID_SEPARATOR, testFileOf } from './results.ts';
import type { Results, TestResult, TestStatus } from './types.ts';

const MESSAGE_MAX_CHARS = 500;
const MESSAGE_MAX_LINES = 8;

// jest's assertion statuses → ours. A skipped, pending, todo or disabled test is "skipped", and
// skipped counts as not passed in the score: skipping a test must never be a way to pass it.
const STATUS_MAP: Readonly<Record<string, TestStatus>> = Object.freeze({
  passed: 'passed',
  failed: 'failed',
  pending: 'skipped',
  skipped: 'skipped',
  todo: 'skipped',
  disabled: 'skipped',
});

interface JestAssertion {
  ancestorTitles?: unknown;
  title?: unknown;
  status?: unknown;
  duration?: unknown;
  failureMessages?: unknown;
}

interface JestFileResult {
  name?: unknown;
  status?: unknown;
  message?: unknown;
  failureMessage?: unknown;
  testExecError?: unknown;
  assertionResults?: unknown;
}

interface FileInfo {
  loadError?: string;
}

function invalid(message: string, details?: unknown): never {
  throw new GraderError('GRADER_ERR_RESULTS_INVALID', message, details === undefined ? undefined : { details });
}

function dirCandidates(dir: string): string[] {
  const out = [path.resolve(dir)];
  try {
    const real = realpathSync(dir);
    if (!out.includes(real)) out.push(real);
  } catch {
    // the tree may already be gone (temporary grading copies); the resolved path is enough
  }
  return out;
}

/** Makes a jest message short and free of the tree's absolute path and of terminal colours. */
export function shortMessage(raw: string, dirs: readonly string[]): string {
  let text = raw.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  for (const d of dirs) text = text.split(`${d}${path.sep}`).join('').split(d).join('.');
  text = text.replace(/^\s*● Test suite failed to run\s*/u, '').trim();
  // jest's own frames and promise plumbing say nothing about the code under test
  const lines = text.split('\n').filter((l) => !/^\s*at .*(node_modules|<anonymous>)/.test(l)).filter((l, i, all) => !(l.trim() === '' && (i === 0 || all[i - 1]?.trim() === '')));
  let out = lines.slice(0, MESSAGE_MAX_LINES).join('\n');
  if (out.length > MESSAGE_MAX_CHARS) out = `${out.slice(0, MESSAGE_MAX_CHARS - 1)}…`;
  return out;
}

/** `<dir>/tests/<category>/<rest>` → `<category>/<rest>`, or undefined for a file outside a category folder. */
function fileKeyOf(file: string, dirs: readonly string[]): { key: string; category: Category } | undefined {
  for (const d of dirs) {
    const rel = path.relative(d, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const parts = rel.split(path.sep);
    if (parts.length < 3 || parts[0] !== 'tests') return undefined;
    const category = parts[1];
    if (!isCategory(category)) return undefined;
    return { key: parts.slice(1).join('/'), category };
  }
  return undefined;
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** One jest assertion as a result: its id (file key, describe path, title), status, duration and first failure. */
function assertionResult(a: JestAssertion, file: { key: string; category: TestResult['category'] }, dirs: string[]): TestResult {
  const titles = Array.isArray(a.ancestorTitles) ? a.ancestorTitles.map(String) : [];
  const id = [file.key, ...titles, String(a.title ?? '')].join(ID_SEPARATOR);
  const status = STATUS_MAP[String(a.status)] ?? 'error';
  const result: TestResult = { id, category: file.category, status };
  if (typeof a.duration === 'number' && Number.isFinite(a.duration)) result.durationMs = a.duration;
  if (status !== 'passed') {
    const failures = Array.isArray(a.failureMessages) ? a.failureMessages.filter((m): m is string => typeof m === 'string') : [];
    if (failures[0]) result.message = shortMessage(failures[0], dirs);
    else if (status === 'error') result.message = `unknown jest status "${String(a.status)}"`;
  }
  return result;
}

/**
 * Turns jest's `--json` report into normalized results. With `expected` (the pristine suite's
 * ids), the output holds exactly those ids: a test that did not report is `missing` (with the
 * load error of its file when there was one) and a reported test outside the list is dropped.
 * Without it, the output is what jest reported. Either way it is sorted by id, so two runs of the
 * same tree give the same document apart from durations and messages.
 */
export function normalizeJestJson(json: unknown, opts: { dir: string; expected?: string[] }): Results {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { testResults?: unknown }).testResults)) {
    invalid('jest report: expected an object with a "testResults" array');
  }
  const dirs = dirCandidates(opts.dir);
  const reported = new Map<string, TestResult>();
  const files = new Map<string, FileInfo>();

  for (const rawFile of (json as { testResults: unknown[] }).testResults) {
    const file = rawFile as JestFileResult;
    const name = asString(file?.name);
    if (!name) invalid('jest report: a test file result has no "name"');
    const mapped = fileKeyOf(name, dirs);
    if (!mapped) continue; // not a test of any category: it can neither count nor be expected
    const assertions = Array.isArray(file.assertionResults) ? (file.assertionResults as JestAssertion[]) : [];
    const info: FileInfo = {};
    if (assertions.length === 0) {
      const msg = asString(file.testExecError && typeof file.testExecError === 'object' ? (file.testExecError as { message?: unknown }).message : undefined)
        ?? asString(file.failureMessage) ?? asString(file.message);
      if (msg !== undefined || file.status === 'failed') info.loadError = shortMessage(msg ?? 'test file failed to run', dirs);
    }
    files.set(mapped.key, info);

    for (const a of assertions) {
      const result = assertionResult(a, mapped, dirs);
      if (reported.has(result.id)) invalid(`duplicated test id in one run: "${result.id}" (two tests with the same describe path and title)`, { id: result.id });
      reported.set(result.id, result);
    }
  }

  if (!opts.expected) return { tests: [...reported.values()].sort(byId) };

  const tests: TestResult[] = [];
  const seen = new Set<string>();
  for (const id of opts.expected) {
    if (seen.has(id)) invalid(`expected test list has a duplicated id: "${id}"`, { id });
    seen.add(id);
    const category = categoryOfId(id);
    if (!isCategory(category)) invalid(`expected test id "${id}" does not start with a category folder`);
    const got = reported.get(id);
    if (got) {
      tests.push(got);
      continue;
    }
    const info = files.get(testFileOf(id));
    const message = info?.loadError !== undefined
      ? `test file failed to run: ${info.loadError}`
      : info
        ? 'not reported by its test file'
        : 'its test file did not report (not run, crashed or timed out)';
    tests.push({ id, category, status: 'missing', message });
  }
  return { tests: tests.sort(byId) };
}

function byId(a: TestResult, b: TestResult): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
