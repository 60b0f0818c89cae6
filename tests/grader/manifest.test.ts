import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CATEGORIES, ERRORS, GRADER_VERSION, GraderError, loadManifest, validateManifest } from '../../grader/src/index.ts';
import { FIXTURE_MANIFEST, REPO, tempDir } from './helpers.ts';

async function fixture(): Promise<{ version: number; bugs: Array<Record<string, unknown>> }> {
  return JSON.parse(await readFile(FIXTURE_MANIFEST, 'utf8')) as { version: number; bugs: Array<Record<string, unknown>> };
}

function rejects(data: unknown, pattern: RegExp): void {
  assert.throws(() => validateManifest(data), (err: unknown) => {
    assert.ok(err instanceof GraderError);
    assert.equal(err.code, 'GRADER_ERR_MANIFEST_INVALID');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('manifest schema', () => {
  test('the fixture manifest and the repository manifest are valid', async () => {
    const m = await loadManifest(FIXTURE_MANIFEST);
    assert.deepEqual(m.bugs.map((b) => b.id), ['N1', 'R1', 'X1']);
    const real = await loadManifest(path.join(REPO, 'bug-manifest', 'manifest.json'));
    assert.equal(real.version, 1);
    assert.ok(Array.isArray(real.bugs));
  });

  test('rejects an unknown key in an entry and at the top level', async () => {
    const m = await fixture();
    m.bugs[0]!.severity = 'high';
    rejects(m, /bugs\[0\] \(N1\): unknown key "severity"/);
    rejects({ version: 1, bugs: [], extra: true }, /unknown key "extra"/);
  });

  test('rejects a malformed id', async () => {
    for (const bad of ['L0', 'Z1', 'l1', 'N01', 'N1a', '']) {
      const m = await fixture();
      m.bugs[0]!.id = bad;
      m.bugs[0]!.fix = `fixes/${bad}.patch`;
      rejects(m, /bugs\[0\].*\.id: must match pattern/);
    }
  });

  test('rejects a missing required field', async () => {
    for (const field of ['symptom', 'failToPass', 'dependsOn', 'fixSha256', 'status', 'bonus', 'scenario']) {
      const m = await fixture();
      delete m.bugs[1]![field];
      rejects(m, new RegExp(`bugs\\[1\\] \\(R1\\): missing required field "${field}"`));
    }
  });

  test('rejects a bad sha256', async () => {
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'g'.repeat(64)]) {
      const m = await fixture();
      m.bugs[0]!.fixSha256 = bad;
      rejects(m, /fixSha256: must match pattern/);
    }
  });

  test('rejects a duplicate id', async () => {
    const m = await fixture();
    m.bugs.push({ ...m.bugs[0]! });
    rejects(m, /bugs\[3\] \(N1\): duplicate id, already used by bugs\[0\]/);
  });

  test('rejects dependsOn naming an unknown bug or the bug itself; mutual masking (a cycle) is allowed', async () => {
    const m = await fixture();
    m.bugs[0]!.dependsOn = ['L9'];
    rejects(m, /dependsOn: unknown bug id "L9"/);
    m.bugs[0]!.dependsOn = ['N1'];
    rejects(m, /cannot depend on itself/);
    m.bugs[0]!.dependsOn = ['R1'];
    m.bugs[1]!.dependsOn = ['N1'];
    assert.deepEqual(validateManifest(m).bugs.map((b) => b.dependsOn), [['R1'], ['N1'], []]);
  });

  test('intermittent tests must be failToPass tests, and at least one failToPass test must not be intermittent', async () => {
    const m = await fixture();
    const listed = m.bugs[0]!.failToPass as string[];
    m.bugs[0]!.intermittent = ['unit/elsewhere.test.js › not listed'];
    rejects(m, /bugs\[0\] \(N1\)\.intermittent: "unit\/elsewhere\.test\.js › not listed" is not in failToPass/);
    m.bugs[0]!.intermittent = [...listed];
    rejects(m, /every failToPass test is intermittent/);
    m.bugs[0]!.failToPass = [...listed, 'unit/steady.test.js › fails every time'];
    assert.deepEqual(validateManifest(m).bugs[0]!.intermittent, listed);
  });

  test('alternatives and wrong fixes: known fields only, note and patch required, paths named after their bug, listed once', async () => {
    const valid = await fixture();
    assert.equal(validateManifest(valid).bugs[1]?.alternatives?.length, 1, 'the fixture records R1\'s alternative');
    const cases: Array<[(b: Record<string, unknown>) => void, RegExp]> = [
      [(b) => { b.alternatives = [{ patch: 'alternatives/R1-2.patch', note: 'a while loop instead', author: 'x' }]; }, /alternatives\[0\]: unknown key "author"/],
      [(b) => { b.alternatives = [{ patch: 'alternatives/R1-2.patch' }]; }, /alternatives\[0\]: missing required field "note"/],
      [(b) => { b.wrongFixes = [{ note: 'swallows every error' }]; }, /wrongFixes\[0\]: missing required field "patch"/],
      [(b) => { b.wrongFixes = [{ patch: 'wrong-fixes/R1-1.diff', note: 'swallows every error' }]; }, /wrongFixes\[0\]\.patch: must match pattern/],
      [(b) => { b.wrongFixes = [{ patch: 'wrong-fixes/R1-1.patch', note: 'swallows every error', sha256: 'abc' }]; }, /wrongFixes\[0\]\.sha256: must match pattern/],
      [(b) => { b.alternatives = [{ patch: 'alternatives/N1-1.patch', note: 'another bug\'s patch' }]; }, /alternatives\[0\]\.patch: expected "alternatives\/R1-<n>\.patch", got "alternatives\/N1-1\.patch"/],
      [(b) => { b.wrongFixes = [{ patch: 'alternatives/R1-1.patch', note: 'a wrong fix filed as an alternative' }]; }, /wrongFixes\[0\]\.patch: expected "wrong-fixes\/R1-<n>\.patch"/],
      [(b) => { (b.alternatives as unknown[]).push({ patch: 'alternatives/R1-1.patch', note: 'the same file twice' }); }, /alternatives\[1\]\.patch: "alternatives\/R1-1\.patch" is listed twice/],
      [(b) => { b.validation = { runs: 1, stability: '1/1', date: '2030-01-01T00:00:00Z', alternatives: 'all' }; }, /validation\.alternatives: must match pattern/],
    ];
    for (const [mutate, pattern] of cases) {
      const m = await fixture();
      mutate(m.bugs[1]!);
      rejects(m, pattern);
    }
    const flag = await fixture();
    (flag as Record<string, unknown>).requireValidity = 'yes';
    rejects(flag, /requireValidity: must be boolean/);
  });

  test('rejects a fix path other than fixes/<id>.patch and a class that does not match the id', async () => {
    const m = await fixture();
    m.bugs[0]!.fix = 'fixes/R1.patch';
    rejects(m, /\.fix: expected "fixes\/N1.patch"/);
    const m2 = await fixture();
    m2.bugs[0]!.class = 'races';
    rejects(m2, /class: id letter N means "numeric"/);
  });

  test('rejects failToPass ids that are not test ids, empty lists, bad status, bad scenario, bad version', async () => {
    const cases: Array<[(m: { version: number; bugs: Array<Record<string, unknown>> }) => void, RegExp]> = [
      [(m) => { m.bugs[0]!.failToPass = ['unit/stats.test.js']; }, /failToPass\[0\]: must match pattern/],
      [(m) => { m.bugs[0]!.failToPass = ['lint/x.test.js › a']; }, /failToPass\[0\]: must match pattern/],
      [(m) => { m.bugs[0]!.failToPass = []; }, /failToPass: must NOT have fewer than 1 items/],
      [(m) => { m.bugs[0]!.status = 'fixed'; }, /status: must be equal to one of the allowed values/],
      [(m) => { m.bugs[0]!.scenario = 6; }, /scenario: must be <= 5/],
      [(m) => { m.bugs[0]!.files = ['../outside.js']; }, /files\[0\]: must match pattern/],
      [(m) => { m.version = 2; }, /version: must be equal to constant/],
      [(m) => { m.bugs[0]!.validation = { runs: 3, stability: '3/3', date: 'yesterday' }; }, /validation\.date: must match pattern/],
    ];
    for (const [mutate, pattern] of cases) {
      const m = await fixture();
      mutate(m);
      rejects(m, pattern);
    }
  });

  test('lists every problem at once', async () => {
    const m = await fixture();
    m.bugs[0]!.extra = 1;
    delete m.bugs[1]!.title;
    assert.throws(() => validateManifest(m), (err: GraderError) => {
      assert.equal((err.details as string[]).length, 2);
      return true;
    });
  });

  test('loadManifest: a missing file and invalid JSON have their own codes and name the file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await assert.rejects(loadManifest(path.join(dir, 'nope.json')), { code: 'GRADER_ERR_FILE_NOT_FOUND' });
      const bad = path.join(dir, 'bad.json');
      await writeFile(bad, '{ "version": 1, ');
      await assert.rejects(loadManifest(bad), (err: GraderError) => err.code === 'GRADER_ERR_MANIFEST_INVALID' && err.message.includes(bad));
    } finally {
      await cleanup();
    }
  });
});

describe('catalogues', () => {
  test('every error key equals its code, and codes are GRADER_ERR_*', () => {
    for (const [key, spec] of Object.entries(ERRORS)) {
      assert.equal(spec.code, key);
      assert.match(key, /^GRADER_ERR_[A-Z_]+$/);
      assert.ok(spec.exit === 1 || spec.exit === 2);
      assert.ok(spec.summary.length > 0);
    }
    assert.equal(new GraderError('GRADER_ERR_USAGE', 'x').exitCode, 2);
    assert.equal(new GraderError('GRADER_ERR_PATCH_FAILED', 'x').exitCode, 1);
  });

  test('GRADER_VERSION is the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'grader', 'package.json'), 'utf8')) as { version: string };
    assert.equal(GRADER_VERSION, pkg.version);
  });

  test('the schema knows the same categories as the grader', async () => {
    const schema = JSON.parse(await readFile(path.join(REPO, 'bug-manifest', 'schema.json'), 'utf8')) as { definitions: { testId: { pattern: string }; bug: { properties: { category: { enum: string[] } } } } };
    assert.deepEqual(schema.definitions.bug.properties.category.enum, [...CATEGORIES]);
    for (const c of CATEGORIES) assert.ok(schema.definitions.testId.pattern.includes(c));
  });
});
