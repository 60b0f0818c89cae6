import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { narrowExpected, normalizeJestJson, validateResults } from '../../grader/src/index.ts';

const DIR = '/srv/tree';

interface A { ancestorTitles: string[]; title: string; status: string; duration?: number | null; failureMessages?: string[] }

function file(rel: string, assertions: A[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: `${DIR}/${rel}`, status: assertions.some((a) => a.status === 'failed') ? 'failed' : 'passed', message: '', assertionResults: assertions, ...extra };
}

function report(...files: Array<Record<string, unknown>>): unknown {
  return { success: false, numTotalTests: 0, testResults: files };
}

const ok = (title: string, ancestors: string[] = []): A => ({ ancestorTitles: ancestors, title, status: 'passed', duration: 3 });

describe('normalizeJestJson', () => {
  test('builds ids from the category folder, the path inside it and the describe titles', () => {
    const r = normalizeJestJson(report(
      file('tests/unit/a/b.test.js', [ok('works', ['outer', 'inner']), ok('top level')]),
      file('tests/chaos/c.test.js', [{ ancestorTitles: ['c'], title: 'fails', status: 'failed', duration: null, failureMessages: ['Error: boom\n    at x (/srv/tree/src/c.js:1:1)'] }]),
    ), { dir: DIR });
    assert.deepEqual(r.tests, [
      { id: 'chaos/c.test.js › c › fails', category: 'chaos', status: 'failed', message: 'Error: boom\n    at x (src/c.js:1:1)' },
      { id: 'unit/a/b.test.js › outer › inner › works', category: 'unit', status: 'passed', durationMs: 3 },
      { id: 'unit/a/b.test.js › top level', category: 'unit', status: 'passed', durationMs: 3 },
    ]);
  });

  test('maps jest statuses: pending, skipped, todo and disabled are skipped; unknown ones are errors', () => {
    const r = normalizeJestJson(report(file('tests/unit/s.test.js', [
      { ancestorTitles: [], title: 'p', status: 'pending' },
      { ancestorTitles: [], title: 's', status: 'skipped' },
      { ancestorTitles: [], title: 't', status: 'todo' },
      { ancestorTitles: [], title: 'd', status: 'disabled' },
      { ancestorTitles: [], title: 'w', status: 'weird' },
    ])), { dir: DIR });
    assert.deepEqual(r.tests.map((t) => [t.id.split(' › ')[1], t.status]), [['d', 'skipped'], ['p', 'skipped'], ['s', 'skipped'], ['t', 'skipped'], ['w', 'error']]);
  });

  test('expected tests that did not report are missing; a load error becomes their message', () => {
    const r = normalizeJestJson(report(
      file('tests/unit/ok.test.js', [ok('a')]),
      { name: `${DIR}/tests/security/broken.test.js`, status: 'failed', assertionResults: [], message: '\u001b[1m● Test suite failed to run\u001b[22m\n\n    Cannot find module \'./x\' from \'/srv/tree/src/y.js\'' },
    ), {
      dir: DIR,
      expected: ['unit/ok.test.js › a', 'unit/ok.test.js › gone', 'security/broken.test.js › s › one', 'contract/never.test.js › n'],
    });
    const byId = new Map(r.tests.map((t) => [t.id, t]));
    assert.equal(byId.get('unit/ok.test.js › a')?.status, 'passed');
    assert.deepEqual(byId.get('unit/ok.test.js › gone'), { id: 'unit/ok.test.js › gone', category: 'unit', status: 'missing', message: 'not reported by its test file' });
    const broken = byId.get('security/broken.test.js › s › one');
    assert.equal(broken?.status, 'missing');
    assert.equal(broken?.message, "test file failed to run: Cannot find module './x' from 'src/y.js'");
    assert.equal(byId.get('contract/never.test.js › n')?.status, 'missing');
    assert.match(byId.get('contract/never.test.js › n')?.message ?? '', /did not report/);
    assert.equal(r.tests.length, 4);
  });

  test('a load error reported through testExecError is used too', () => {
    const r = normalizeJestJson(report({ name: `${DIR}/tests/unit/x.test.js`, status: 'failed', assertionResults: [], testExecError: { message: 'SyntaxError: Unexpected token' } }), { dir: DIR, expected: ['unit/x.test.js › a'] });
    assert.equal(r.tests[0]?.message, 'test file failed to run: SyntaxError: Unexpected token');
  });

  test('with an expected list, tests outside it are dropped; files outside a category folder are ignored', () => {
    const r = normalizeJestJson(report(
      file('tests/unit/ok.test.js', [ok('a'), ok('added by someone')]),
      file('tests/support/helper.test.js', [ok('h')]),
      file('other/x.test.js', [ok('x')]),
    ), { dir: DIR, expected: ['unit/ok.test.js › a'] });
    assert.deepEqual(r.tests.map((t) => t.id), ['unit/ok.test.js › a']);
    const all = normalizeJestJson(report(file('tests/unit/ok.test.js', [ok('a')]), file('tests/support/helper.test.js', [ok('h')])), { dir: DIR });
    assert.deepEqual(all.tests.map((t) => t.id), ['unit/ok.test.js › a']);
  });

  test('a duplicated id in one run is an error', () => {
    assert.throws(
      () => normalizeJestJson(report(file('tests/unit/d.test.js', [ok('same', ['d']), ok('same', ['d'])])), { dir: DIR }),
      (err: { code?: string; message?: string }) => err.code === 'GRADER_ERR_RESULTS_INVALID' && /unit\/d\.test\.js › d › same/.test(err.message ?? ''),
    );
    assert.throws(() => normalizeJestJson(report(), { dir: DIR, expected: ['unit/a.test.js › x', 'unit/a.test.js › x'] }), { code: 'GRADER_ERR_RESULTS_INVALID' });
  });

  test('output is sorted by id whatever order jest reported files in', () => {
    const a = file('tests/unit/a.test.js', [ok('1')]);
    const b = file('tests/unit/b.test.js', [ok('1')]);
    assert.deepEqual(normalizeJestJson(report(b, a), { dir: DIR }), normalizeJestJson(report(a, b), { dir: DIR }));
  });

  test('rejects something that is not a jest report', () => {
    assert.throws(() => normalizeJestJson({ nope: 1 }, { dir: DIR }), { code: 'GRADER_ERR_RESULTS_INVALID' });
    assert.throws(() => normalizeJestJson(null, { dir: DIR }), { code: 'GRADER_ERR_RESULTS_INVALID' });
  });

  test('long messages are cut to a few lines', () => {
    const long = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
    const r = normalizeJestJson(report(file('tests/unit/l.test.js', [{ ancestorTitles: [], title: 'l', status: 'failed', failureMessages: [long] }])), { dir: DIR });
    assert.equal(r.tests[0]?.message?.split('\n').length, 8);
  });
});

describe('narrowExpected', () => {
  const ids = ['unit/a.test.js › math › adds', 'unit/b.test.js › strings › joins', 'chaos/c.test.js › retry › gives up'];
  test('by category, by file and by name pattern (jest joins titles with spaces, case-insensitive)', () => {
    assert.deepEqual(narrowExpected(ids, { category: 'chaos' }), [ids[2]]);
    assert.deepEqual(narrowExpected(ids, { files: ['tests/unit/b.test.js'] }), [ids[1]]);
    assert.deepEqual(narrowExpected(ids, { testNamePattern: 'MATH adds' }), [ids[0]]);
    assert.deepEqual(narrowExpected(ids, { category: 'unit', testNamePattern: 'retry' }), []);
  });
});

describe('validateResults', () => {
  test('accepts a well-formed document', () => {
    const doc = { tests: [{ id: 'unit/a.test.js › x', category: 'unit', status: 'passed', durationMs: 1, message: 'm' }] };
    assert.deepEqual(validateResults(doc), doc);
  });
  test('rejects bad shapes, unknown categories or statuses, ids outside their category, unknown keys and duplicates', () => {
    const t = { id: 'unit/a.test.js › x', category: 'unit', status: 'passed' };
    const bad: unknown[] = [
      [], { tests: {} }, { tests: [1] },
      { tests: [{ ...t, category: 'lint' }] },
      { tests: [{ ...t, status: 'ok' }] },
      { tests: [{ ...t, category: 'chaos' }] },
      { tests: [{ ...t, extra: 1 }] },
      { tests: [{ ...t, durationMs: -1 }] },
      { tests: [t, t] },
    ];
    for (const doc of bad) assert.throws(() => validateResults(doc), { code: 'GRADER_ERR_RESULTS_INVALID' }, JSON.stringify(doc));
  });
});
