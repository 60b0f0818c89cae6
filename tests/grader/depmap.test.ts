import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { affectedFiles, DEPMAP_VERSION, parseDepMap, runSuite, verify, type DepMap, type FileDeps } from '../../grader/src/index.ts';
import { main } from '../../grader/src/cli.ts';
import { buildDepMap } from '../../grader/src/depmap/map.ts';
import { distrustUnpassed } from '../../grader/src/depmap/store.ts';
import type { Results } from '../../grader/src/types.ts';
import { copyManifestDir, FIXTURE_TARGET, REPO, TARGET_NODE_MODULES, tempDir } from './helpers.ts';

function map(files: Record<string, Partial<FileDeps>>, dirs: string[]): DepMap {
  const full: Record<string, FileDeps> = {};
  for (const [f, d] of Object.entries(files)) full[f] = { read: d.read ?? [f], listed: d.listed ?? [], ...(d.everything ? { everything: d.everything } : {}) };
  return { version: DEPMAP_VERSION, treeHash: 'h', dirs, files: full };
}

const DIRS = ['.', 'src', 'src/lib', 'migrations', 'tests', 'tests/unit'];
const M = map({
  'tests/unit/a.test.js': { read: ['tests/unit/a.test.js', 'src/lib/a.js', 'src/index.js'] },
  'tests/unit/b.test.js': { read: ['tests/unit/b.test.js', 'src/b.js'] },
  'tests/unit/m.test.js': { read: ['tests/unit/m.test.js', 'migrations/001.sql'], listed: ['migrations'] },
  'tests/unit/p.test.js': { read: ['tests/unit/p.test.js', 'src/optional.json'] },
  'tests/unit/s.test.js': { read: ['tests/unit/s.test.js'], everything: 'child_process.spawn' },
}, DIRS);

describe('affectedFiles: which test files a change can affect', () => {
  test('a modified file selects the files that read it, and those that depend on everything', () => {
    const a = affectedFiles(M, [{ path: 'src/lib/a.js', kind: 'modified' }]);
    assert.deepEqual(a.files, ['tests/unit/a.test.js', 'tests/unit/s.test.js']);
    assert.match(a.reasons['tests/unit/a.test.js']!, /read/);
    assert.equal(a.everything, undefined);
  });

  test('no change selects nothing; a change nobody read selects only "everything" files', () => {
    assert.deepEqual(affectedFiles(M, []).files, []);
    assert.deepEqual(affectedFiles(M, [{ path: 'README.md', kind: 'modified' }]).files, ['tests/unit/s.test.js']);
  });

  test('a file added to a listed directory selects the tests that listed it', () => {
    const a = affectedFiles(M, [{ path: 'migrations/002.sql', kind: 'added' }]);
    assert.ok(a.files.includes('tests/unit/m.test.js'));
    assert.ok(!a.files.includes('tests/unit/b.test.js'));
  });

  test('an entry added where a module was resolved selects every test that resolved through it (the module\'s directory and its parent)', () => {
    // src/lib/a.js was loaded: a request for "./lib/a" could now find src/lib/a/index.js or src/lib.js
    const inLib = affectedFiles(M, [{ path: 'src/lib/a/index.js', kind: 'added' }]);
    assert.ok(inLib.files.includes('tests/unit/a.test.js'));
    const inSrc = affectedFiles(M, [{ path: 'src/lib.js', kind: 'added' }]);
    assert.ok(inSrc.files.includes('tests/unit/a.test.js'));
    assert.ok(inSrc.files.includes('tests/unit/b.test.js'), 'b loaded src/b.js: src is its module directory');
  });

  test('an added file in new directories counts against the first directory the tree had', () => {
    const a = affectedFiles(M, [{ path: 'src/lib/deep/er/x.js', kind: 'added' }]);
    assert.ok(a.files.includes('tests/unit/a.test.js'), 'src/lib gained an entry');
    assert.ok(!a.files.includes('tests/unit/m.test.js'));
  });

  test('a probed path that is added selects the file that probed it; a removed file selects its readers and listers', () => {
    assert.ok(affectedFiles(M, [{ path: 'src/optional.json', kind: 'added' }]).files.includes('tests/unit/p.test.js'));
    const removed = affectedFiles(M, [{ path: 'migrations/001.sql', kind: 'removed' }]);
    assert.ok(removed.files.includes('tests/unit/m.test.js'));
  });

  test('configuration and packages are beyond the map: every file, with the reason', () => {
    for (const p of ['package.json', 'jest.config.js', 'src/package.json', 'src/.babelrc', 'node_modules/x/index.js']) {
      const a = affectedFiles(M, [{ path: p, kind: 'modified' }]);
      assert.ok(a.everything, p);
      assert.equal(a.files.length, 5, p);
    }
  });

  test('paths outside the tree are refused', () => {
    assert.throws(() => affectedFiles(M, [{ path: '../etc/passwd', kind: 'modified' }]), /not inside the tree/);
    assert.throws(() => affectedFiles(M, [{ path: '/etc/passwd', kind: 'modified' }]), /not inside the tree/);
  });

  test('parseDepMap refuses what is not a map of this version', () => {
    assert.equal(parseDepMap({ ...M, version: 0 }), undefined);
    assert.equal(parseDepMap({ ...M, version: 1 }), undefined, 'maps of the recorder that did not follow children');
    assert.equal(parseDepMap({ ...M, files: { x: { read: 'a' } } }), undefined);
    assert.equal(parseDepMap(null), undefined);
    assert.deepEqual(parseDepMap(JSON.parse(JSON.stringify(M))), M);
  });
});

// The recorder on a real jest run: what each test file touched, attributed to the right file even
// though one worker runs several files in turn.
describe('a map recorded from a run that did not pass whole', () => {
  test('a file with a test that did not pass depends on everything; passing files keep their reads', () => {
    const deps: Record<string, FileDeps> = {
      'tests/unit/a.test.js': { read: ['src/a.js'], listed: [] },
      'tests/system/b.test.js': { read: ['tests/support/x.js'], listed: [] },
      'tests/system/c.test.js': { read: [], listed: [], everything: 'child_process.spawn' },
    };
    const results = {
      tests: [
        { id: 'unit/a.test.js › a', status: 'passed' },
        { id: 'system/b.test.js › stops early', status: 'failed' },
        { id: 'system/b.test.js › other', status: 'passed' },
        { id: 'system/c.test.js › c', status: 'failed' },
      ],
    } as unknown as Results;
    const out = distrustUnpassed(deps, results);
    assert.deepEqual(out['tests/unit/a.test.js'], deps['tests/unit/a.test.js']);
    assert.match(out['tests/system/b.test.js']!.everything ?? '', /not every test of it passed/);
    assert.deepEqual(out['tests/system/b.test.js']!.read, ['tests/support/x.js']);
    assert.equal(out['tests/system/c.test.js']!.everything, 'child_process.spawn', 'an earlier reason stays');
    // and a change nobody else read now selects the file that stopped early
    const map: DepMap = { version: DEPMAP_VERSION, treeHash: 'x', dirs: ['src', 'services', 'services/y'], files: out } as DepMap;
    assert.ok(affectedFiles(map, [{ path: 'services/y/z.js', kind: 'modified' }]).files.includes('tests/system/b.test.js'));
  });
});

describe('dependency recorder (real jest run)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tree: string;
  before(async () => {
    tmp = await tempDir('depmap-rec-');
    tree = path.join(tmp.dir, 'tree');
    const w = async (rel: string, body: string): Promise<void> => {
      await mkdir(path.dirname(path.join(tree, rel)), { recursive: true });
      await writeFile(path.join(tree, rel), body);
    };
    await w('package.json', '{"name":"rec","private":true}\n');
    await w('jest.config.js', "module.exports = { maxWorkers: 1, projects: [{ displayName: 'unit', testEnvironment: 'node', rootDir: __dirname, testMatch: ['<rootDir>/tests/unit/**/*.test.js'], transform: {} }] };\n");
    await w('src/lib/a.js', "'use strict';\nmodule.exports = require('./b');\n");
    await w('src/lib/b.js', "'use strict';\nmodule.exports = 2;\n");
    await w('src/data/x.json', '{"x":1}\n');
    await w('migrations/001.sql', 'select 1;\n');
    await w('tests/unit/mod.test.js', "const a = require('../../src/lib/a');\ntest('loads', () => expect(a).toBe(2));\n");
    await w('tests/unit/json.test.js', "const fs = require('fs');\nconst path = require('path');\ntest('reads', async () => {\n  const j = JSON.parse(await fs.promises.readFile(path.join(__dirname, '../../src/data/x.json'), 'utf8'));\n  expect(j.x).toBe(1);\n});\n");
    await w('tests/unit/list.test.js', "const fs = require('fs');\nconst path = require('path');\ntest('lists', () => expect(fs.readdirSync(path.join(__dirname, '../../migrations'))).toEqual(['001.sql']));\n");
    await w('tests/unit/spawn.test.js', "const { execSync } = require('child_process');\ntest('spawns', () => expect(execSync('printf ok').toString()).toBe('ok'));\n");
    await symlink(TARGET_NODE_MODULES, path.join(tree, 'node_modules'));
  });
  after(async () => { await tmp.cleanup(); });

  test('records modules loaded, files read, directories listed, and a shell as "everything"', async () => {
    const run = await runSuite({ dir: tree, recordDeps: true });
    assert.equal(run.infraError, undefined, run.infraError?.message);
    assert.ok(run.results.tests.every((t) => t.status === 'passed'), JSON.stringify(run.results.tests));
    const deps = run.deps!;
    assert.deepEqual(Object.keys(deps).sort(), ['tests/unit/json.test.js', 'tests/unit/list.test.js', 'tests/unit/mod.test.js', 'tests/unit/spawn.test.js']);
    const mod = deps['tests/unit/mod.test.js']!;
    assert.ok(mod.read.includes('src/lib/a.js') && mod.read.includes('src/lib/b.js'), `modules through jest's registry: ${mod.read.join(', ')}`);
    assert.ok(!mod.read.includes('src/data/x.json'), 'nothing of another file leaks in');
    assert.equal(mod.everything, undefined);
    assert.ok(deps['tests/unit/json.test.js']!.read.includes('src/data/x.json'));
    assert.ok(!deps['tests/unit/json.test.js']!.read.includes('src/lib/a.js'));
    assert.ok(deps['tests/unit/list.test.js']!.listed.includes('migrations'));
    assert.match(deps['tests/unit/spawn.test.js']!.everything ?? '', /child_process\.execSync \(a shell\)/);
    assert.ok(Object.values(deps).every((d) => d.read.every((r) => !r.startsWith('node_modules'))), 'node_modules is never recorded');

    const m = await buildDepMap(tree, 'hash', deps);
    assert.ok(m.dirs.includes('migrations') && !m.dirs.some((d) => d.startsWith('node_modules')));
    assert.deepEqual(affectedFiles(m, [{ path: 'src/lib/b.js', kind: 'modified' }]).files, ['tests/unit/mod.test.js', 'tests/unit/spawn.test.js']);
    assert.deepEqual(affectedFiles(m, [{ path: 'migrations/002.sql', kind: 'added' }]).files, ['tests/unit/list.test.js', 'tests/unit/spawn.test.js']);
  });

  test('without recordDeps nothing is recorded and the tests see no recorder variable', async () => {
    await writeFile(path.join(tree, 'tests/unit/env.test.js'), "test('env', () => expect(process.env.DN_RECORD_DEPS).toBeUndefined());\n");
    const plain = await runSuite({ dir: tree, files: ['tests/unit/env.test.js'], env: { DN_RECORD_DEPS: '1' } });
    assert.equal(plain.deps, undefined);
    assert.equal(plain.results.tests[0]?.status, 'passed');
    const recorded = await runSuite({ dir: tree, files: ['tests/unit/env.test.js'], recordDeps: true });
    assert.equal(recorded.results.tests[0]?.status, 'passed', 'the jest parent removes the variable before the tests run');
    assert.ok(recorded.deps?.['tests/unit/env.test.js']);
    assert.ok((await readFile(path.join(tree, 'tests/unit/env.test.js'), 'utf8')).length > 0);
  });
});

// tests/fixtures/follow-target: test files that start node children and worker threads. What those
// read is the test file's; what cannot be followed still depends on everything.
describe('dependency recorder: node children and worker threads (real jest run)', () => {
  const FOLLOW_TARGET = path.join(REPO, 'tests', 'fixtures', 'follow-target');
  const EVERYTHING = ['lingering', 'no-recorder', 'program', 'shell', 'shell-option', 'worker-env'].map((n) => `tests/unit/${n}.test.js`).sort();
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let deps: Record<string, FileDeps>;
  let m: DepMap;
  const rec = (name: string): FileDeps => deps[`tests/unit/${name}.test.js`]!;
  const selected = (changed: string): string[] => affectedFiles(m, [{ path: changed, kind: 'modified' }]).files;
  const plus = (...names: string[]): string[] => [...names.map((n) => `tests/unit/${n}.test.js`), ...EVERYTHING].sort();

  before(async () => {
    tmp = await tempDir('depmap-follow-');
    const tree = path.join(tmp.dir, 'follow-target');
    await cp(FOLLOW_TARGET, tree, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' });
    await symlink(TARGET_NODE_MODULES, path.join(tree, 'node_modules'));
    const run = await runSuite({ dir: tree, recordDeps: true });
    assert.equal(run.infraError, undefined, run.infraError?.message);
    assert.ok(run.results.tests.length === 14 && run.results.tests.every((t) => t.status === 'passed'), JSON.stringify(run.results.tests));
    deps = run.deps!;
    m = await buildDepMap(tree, 'hash', deps);
  });
  after(async () => { await tmp.cleanup(); });

  test('a worker thread\'s reads are its test file\'s, not "everything"', () => {
    assert.equal(rec('thread').everything, undefined);
    assert.ok(rec('thread').read.includes('src/thread-data.json') && rec('thread').read.includes('src/thread-reader.js'), rec('thread').read.join(', '));
    assert.ok(!rec('plain').read.includes('src/thread-data.json'), 'nothing leaks into another file');
  });

  test('forked and spawned node children: what they read is the file\'s (and they see no recorder variable: the fixture checks)', () => {
    for (const name of ['fork', 'spawn']) {
      assert.equal(rec(name).everything, undefined, name);
      assert.ok(rec(name).read.includes('src/child-data.json') && rec(name).read.includes('scripts/read-file.js'), `${name}: ${rec(name).read.join(', ')}`);
    }
  });

  test('a node grandchild, and a node child of a worker thread (eval), are followed', () => {
    assert.equal(rec('grandchild').everything, undefined);
    assert.ok(['scripts/spawn-grandchild.js', 'scripts/read-file.js', 'src/grandchild-data.txt'].every((f) => rec('grandchild').read.includes(f)), rec('grandchild').read.join(', '));
    assert.equal(rec('thread-child').everything, undefined);
    assert.ok(rec('thread-child').read.includes('src/nested-data.txt'), rec('thread-child').read.join(', '));
  });

  test('ES modules a child loads through node\'s own loader are recorded (fs.promises.readFile)', () => {
    assert.equal(rec('esm').everything, undefined);
    assert.ok(rec('esm').read.includes('src/esm/main.mjs') && rec('esm').read.includes('src/esm/dep.mjs'), rec('esm').read.join(', '));
  });

  test('threads terminated while starting, their listeners removed first: followed', () => {
    assert.equal(rec('terminate').everything, undefined);
  });

  test('still "everything", with the reason: a shell, shell: true, another program, a Worker with its own env, a child without the recorder, a child running 2 s after its file ended', () => {
    const reasons = Object.fromEntries(EVERYTHING.map((f) => [f.replace(/^tests\/unit\/|\.test\.js$/g, ''), deps[f]!.everything ?? '']));
    assert.match(reasons.shell!, /^child_process\.execSync \(a shell\)$/);
    assert.match(reasons['shell-option']!, /^child_process\.spawnSync \(a shell\)$/);
    assert.match(reasons.program!, /^child_process\.execFileSync \(a program other than node\)$/);
    assert.match(reasons['worker-env']!, /^worker_threads\.Worker \(its own env\)$/);
    assert.match(reasons['no-recorder']!, /ran without the recorder/);
    assert.match(reasons.lingering!, /had not finished 2 s after it ended/);
    assert.deepEqual(Object.keys(deps).filter((f) => deps[f]!.everything).sort(), EVERYTHING);
  });

  test('selection: a change to what a child or thread read selects its file; an unrelated change does not', () => {
    assert.deepEqual(selected('src/thread-data.json'), plus('thread'));
    assert.deepEqual(selected('src/child-data.json'), plus('fork', 'spawn'));
    assert.deepEqual(selected('src/grandchild-data.txt'), plus('grandchild'));
    assert.deepEqual(selected('src/nested-data.txt'), plus('thread-child'));
    assert.deepEqual(selected('src/esm/dep.mjs'), plus('esm'));
    assert.deepEqual(selected('src/unrelated.txt'), plus('plain'));
  });
});

describe('verify on affected files', () => {
  test('the same verdicts as --full, with fewer files run per bug tree; the report says which selection ran', async () => {
    const tmp = await tempDir('depmap-verify-');
    try {
      const manifestPath = await copyManifestDir(tmp.dir);
      const affected = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 1, write: false });
      const full = await verify({ targetDir: FIXTURE_TARGET, manifestPath, repeat: 1, write: false, full: true });
      assert.equal(affected.ok, true, JSON.stringify(affected.checks.filter((c) => !c.ok), null, 2));
      assert.equal(affected.selection, 'affected');
      assert.equal(full.selection, 'whole-suite');
      const verdicts = (r: typeof full) => Object.fromEntries(Object.entries(r.bugs).map(([id, b]) => [id, [b.ok, b.stability, b.alternatives, b.wrongFixesCaught]]));
      assert.deepEqual(verdicts(affected), verdicts(full));
      assert.deepEqual(affected.checks.map((c) => [c.step, c.ok]), full.checks.map((c) => [c.step, c.ok]));
      const perBug = affected.checks.filter((c) => c.step === 'bug').map((c) => c.label);
      assert.ok(perBug.some((l) => /\(in [12] file\(s\)\)/.test(l)), `some bug tree ran fewer than the 4 files: ${perBug.join(' | ')}`);
      assert.ok(full.checks.filter((c) => c.step === 'bug').every((c) => !/file\(s\)/.test(c.label)), 'with --full every bug tree ran whole');
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('datanexus-grader affected', () => {
  async function run(args: string[]): Promise<{ exitCode: number; json: Record<string, unknown>; stdout: string }> {
    let stdout = '';
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { stdout += chunk.toString(); cb(); } });
    const exitCode = await main(args, { stdout: sink, stderr: sink as unknown as NodeJS.WriteStream, cwd: REPO });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(stdout) as Record<string, unknown>;
    } catch {
      // text output
    }
    return { exitCode, json, stdout };
  }

  test('records the all-fixed map once, stores it next to the manifest, and lists the affected files with reasons', async () => {
    const tmp = await tempDir('depmap-cli-');
    try {
      const manifestPath = await copyManifestDir(tmp.dir);
      const common = ['--target', FIXTURE_TARGET, '--manifest', manifestPath, '--skip-preflight', '--json'];
      const first = await run(['affected', '--changed', 'src/stats.js', ...common]);
      assert.equal(first.exitCode, 0, first.stdout);
      assert.equal(first.json.mapCached, false);
      assert.deepEqual(first.json.files, ['tests/unit/stats.test.js']);
      assert.match((first.json.reasons as Record<string, string>)['tests/unit/stats.test.js']!, /modified src\/stats\.js, which it read/);
      assert.ok(existsSync(path.join(path.dirname(manifestPath), 'depmap.json')));
      // several files (`--changed a b`), an added one, the stored map reused
      const again = await run(['affected', '--changed', 'src/retry.js', 'src/new-helper.js', ...common]);
      assert.equal(again.json.mapCached, true);
      assert.deepEqual(again.json.changes, [{ path: 'src/retry.js', kind: 'modified' }, { path: 'src/new-helper.js', kind: 'added' }]);
      assert.ok((again.json.files as string[]).includes('tests/chaos/retry.test.js'));
      assert.ok((again.json.files as string[]).length >= 2, 'src/ gained an entry: every file that loaded a module there');
      const config = await run(['affected', '--changed', 'jest.config.js', ...common]);
      assert.match(String(config.json.everything), /configuration/);
      const text = await run(['affected', '--changed', 'src/stats.js', '--target', FIXTURE_TARGET, '--manifest', manifestPath, '--skip-preflight']);
      assert.match(text.stdout, /^1 of 4 test files affected\n {2}tests\/unit\/stats\.test\.js/);
    } finally {
      await tmp.cleanup();
    }
  });

  test('bad input: no file is a usage error, a path outside the tree an invalid option', async () => {
    assert.equal((await run(['affected', '--json'])).exitCode, 2);
    const outside = await run(['affected', '--changed', '../x.js', '--json']);
    assert.equal(outside.exitCode, 2);
    assert.equal((outside.json.error as { code: string }).code, 'GRADER_ERR_INVALID_OPTION');
  });
});
