import { CATEGORIES, isCategory, type Category } from './categories.ts';
import { GraderError } from './errors.ts';
import { TEST_STATUSES, type Results, type TestResult, type TestStatus } from './types.ts';

export const ID_SEPARATOR = ' › ';

/** `unit/a/b.test.js › describe › test` → `unit/a/b.test.js` (paths never contain the separator). */
export function testFileOf(id: string): string {
  const i = id.indexOf(ID_SEPARATOR);
  return i === -1 ? id : id.slice(0, i);
}

/** `unit/a/b.test.js › d › t` → `tests/unit/a/b.test.js`, the path relative to the target. */
export function testPathOf(id: string): string {
  return `tests/${testFileOf(id)}`;
}

export function categoryOfId(id: string): string {
  const slash = id.indexOf('/');
  return slash === -1 ? '' : id.slice(0, slash);
}

/** The titles of an id (describe blocks then the test), as jest's testNamePattern sees them joined by spaces. */
export function titlesOf(id: string): string[] {
  return id.split(ID_SEPARATOR).slice(1);
}

function fail(message: string, details?: unknown): never {
  throw new GraderError('GRADER_ERR_RESULTS_INVALID', message, details === undefined ? undefined : { details });
}

/**
 * Checks a results document read from disk (score, grade --baseline): shape, categories, statuses,
 * and that no id appears twice, since a duplicated id would count one test twice.
 */
export function validateResults(data: unknown, label = 'results'): Results {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { tests?: unknown }).tests)) {
    fail(`${label}: expected an object { "tests": [ … ] }, got ${describe(data)}`);
  }
  const seen = new Set<string>();
  const tests: TestResult[] = [];
  for (const [i, raw] of ((data as { tests: unknown[] }).tests).entries()) {
    if (typeof raw !== 'object' || raw === null) fail(`${label}: tests[${i}] must be an object, got ${describe(raw)}`);
    const t = raw as Record<string, unknown>;
    for (const key of Object.keys(t)) {
      if (!['id', 'category', 'status', 'durationMs', 'message'].includes(key)) fail(`${label}: tests[${i}] has an unknown key "${key}"`);
    }
    if (typeof t.id !== 'string' || t.id.length === 0) fail(`${label}: tests[${i}].id must be a non-empty string`);
    if (!isCategory(t.category)) fail(`${label}: tests[${i}].category must be one of ${CATEGORIES.join(', ')}, got ${describe(t.category)}`);
    if (categoryOfId(t.id) !== t.category) fail(`${label}: tests[${i}] id "${t.id}" does not start with its category "${t.category}/"`);
    if (typeof t.status !== 'string' || !TEST_STATUSES.includes(t.status as TestStatus)) {
      fail(`${label}: tests[${i}].status must be one of ${TEST_STATUSES.join(', ')}, got ${describe(t.status)}`);
    }
    if (t.durationMs !== undefined && (typeof t.durationMs !== 'number' || !Number.isFinite(t.durationMs) || t.durationMs < 0)) {
      fail(`${label}: tests[${i}].durationMs must be a non-negative number`);
    }
    if (t.message !== undefined && typeof t.message !== 'string') fail(`${label}: tests[${i}].message must be a string`);
    if (seen.has(t.id)) fail(`${label}: duplicated test id "${t.id}"`, { id: t.id });
    seen.add(t.id);
    const test: TestResult = { id: t.id, category: t.category, status: t.status as TestStatus };
    if (t.durationMs !== undefined) test.durationMs = t.durationMs as number;
    if (t.message !== undefined) test.message = t.message as string;
    tests.push(test);
  }
  return { tests };
}

export function summarize(results: Results): Record<TestStatus, number> & { total: number } {
  const out = { passed: 0, failed: 0, skipped: 0, missing: 0, error: 0, total: 0 };
  for (const t of results.tests) {
    out[t.status] += 1;
    out.total += 1;
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v;
}

/** passed / total per category (every category present, zeros where it has no test). */
export function categoryCounts(results: Results): Record<Category, { passed: number; total: number }> {
  const out = Object.fromEntries(CATEGORIES.map((c) => [c, { passed: 0, total: 0 }])) as Record<Category, { passed: number; total: number }>;
  for (const t of results.tests) {
    const c = out[t.category];
    if (!c) throw new GraderError('GRADER_ERR_RESULTS_INVALID', `test "${t.id}" has an unknown category "${String(t.category)}"`);
    c.total += 1;
    if (t.status === 'passed') c.passed += 1;
  }
  return out;
}
