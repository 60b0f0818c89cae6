import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ERRORS, EnvError, isEnvError } from '../../environment/src/errors.ts';
import { checkBaseline } from '../../environment/src/grading/baseline-check.ts';
import { buildGradeTree, isProtected } from '../../environment/src/grading/overlay.ts';
import { resolveOptions } from '../../environment/src/options.ts';
import { OutputCapture, truncateText } from '../../environment/src/sandbox/capture.ts';
import { DiskWatchdog, treeBytes } from '../../environment/src/sandbox/disk-watchdog.ts';
import { mapPaths } from '../../environment/src/sandbox/translate.ts';
import { canonicalJson } from '../../environment/src/util.ts';
import { copyTree, listTree } from '../../environment/src/workspace/tree.ts';
import { tempDir } from './fixtures.ts';

describe('error catalogue', () => {
  test('every key equals its code', () => {
    for (const [key, spec] of Object.entries(ERRORS)) assert.equal(spec.code, key);
  });

  test('every code is ENV_ERR_* with a 4xx or 5xx status and a summary', () => {
    for (const spec of Object.values(ERRORS)) {
      assert.match(spec.code, /^ENV_ERR_[A-Z_]+$/);
      assert.ok(spec.status >= 400 && spec.status < 600, `${spec.code}: ${spec.status}`);
      assert.ok(spec.summary.length > 10);
    }
  });

  test('EnvError carries its status and serializes its code', () => {
    const e = new EnvError('ENV_ERR_RESET_NEEDED', 'call reset', { details: { x: 1 } });
    assert.equal(e.statusCode, 409);
    assert.deepEqual(e.toJSON(), { code: 'ENV_ERR_RESET_NEEDED', message: 'call reset', details: { x: 1 } });
  });
});

describe('options', () => {
  test('defaults are complete and frozen; bad values say what was expected', () => {
    const o = resolveOptions();
    assert.equal(o.sandbox, 'bwrap');
    assert.equal(o.maxSteps, 100);
    assert.equal(o.bodyLimit, 5 * 1024 * 1024);
    assert.ok(Object.isFrozen(o));
    assert.throws(() => resolveOptions({ maxSteps: 0 }), /option maxSteps: expected a positive integer, got 0/);
    assert.throws(() => resolveOptions({ sandbox: 'chroot' as 'bwrap' }), (e: unknown) => isEnvError(e) && e.code === 'ENV_ERR_INVALID_OPTION');
    assert.throws(() => resolveOptions({ execTimeoutMs: 10, maxExecTimeoutMs: 5 }), /exceeds maxExecTimeoutMs/);
  });
});

describe('grading overlay', () => {
  test('tests, jest/babel config, package files and module mocks are protected; sources are not', () => {
    for (const p of ['tests/unit/a.test.js', 'tests/support/namespace.js', 'jest.config.js', 'jest.config.cjs', 'package.json', 'package-lock.json',
      '.babelrc', 'babel.config.js', '.npmrc', '__mocks__/pg.js', 'services/x/__mocks__/y.js', 'node_modules/a.js', '.git/config',
      // babel-jest reads file-relative configs: protected at any depth
      'src/.babelrc', 'services/x/.babelrc.js', 'shared/babel.config.json', 'services/x/package.json', 'services/x/jest.config.js']) {
      assert.equal(isProtected(p), true, p);
    }
    for (const p of ['src/stats.js', 'services/gateway/src/config.js', 'shared/index.js', 'services/x/tests/helper.js', 'services/x/package.json.bak']) {
      assert.equal(isProtected(p), false, p);
    }
  });

  test('the grade tree is the pristine task plus source changes only', async () => {
    const root = await tempDir('dn-overlay-');
    const [pristine, ws, out] = ['pristine', 'ws', 'out'].map((d) => path.join(root, d)) as [string, string, string];
    try {
      for (const d of [pristine, ws]) {
        await mkdir(path.join(d, 'src'), { recursive: true });
        await mkdir(path.join(d, 'tests'), { recursive: true });
        await writeFile(path.join(d, 'src', 'a.js'), 'a');
        await writeFile(path.join(d, 'src', 'gone.js'), 'g');
        await writeFile(path.join(d, 'tests', 't.test.js'), 't');
        await writeFile(path.join(d, 'jest.config.js'), 'cfg');
      }
      await writeFile(path.join(ws, 'src', 'a.js'), 'A');
      await rm(path.join(ws, 'src', 'gone.js'));
      await writeFile(path.join(ws, 'src', 'new.js'), 'n');
      await writeFile(path.join(ws, 'tests', 't.test.js'), 'hacked');
      await writeFile(path.join(ws, 'tests', 'extra.test.js'), 'hacked');
      await writeFile(path.join(ws, 'jest.config.js'), 'hacked');
      await mkdir(path.join(ws, 'node_modules'));
      await symlink('/etc', path.join(ws, 'node_modules', 'evil'));
      const r = await buildGradeTree(pristine, ws, out);
      assert.deepEqual(r.taken, ['src/a.js', 'src/gone.js', 'src/new.js']);
      assert.deepEqual(r.ignored, ['jest.config.js', 'tests/extra.test.js', 'tests/t.test.js']);
      assert.equal(await readFile(path.join(out, 'src', 'a.js'), 'utf8'), 'A');
      assert.equal(await readFile(path.join(out, 'tests', 't.test.js'), 'utf8'), 't');
      assert.equal(await readFile(path.join(out, 'jest.config.js'), 'utf8'), 'cfg');
      await assert.rejects(readFile(path.join(out, 'src', 'gone.js')));
      await assert.rejects(readFile(path.join(out, 'tests', 'extra.test.js')));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('output handling', () => {
  test('a capture keeps head and tail within its budget and says how much it dropped', () => {
    const c = new OutputCapture(100);
    for (let i = 0; i < 100; i += 1) c.push(Buffer.from(`${String(i).padStart(9, '0')}\n`));
    const r = c.result();
    assert.equal(r.bytes, 1000);
    assert.equal(r.truncated, true);
    assert.match(r.text, /^000000000\n/);
    assert.match(r.text, /\[\.\.\. truncated: 900 bytes omitted \.\.\.\]/);
    assert.match(r.text, /000000099\n$/);
    assert.deepEqual(truncateText('short', 10), { text: 'short', truncated: false });
  });

  test('paths are mapped as whole components only', () => {
    const map: Array<[string, string]> = [['/host/ws', '/workspace']];
    assert.equal(mapPaths('at /host/ws/src/a.js:1 and "/host/ws" but not /host/ws2/x', map), 'at /workspace/src/a.js:1 and "/workspace" but not /host/ws2/x');
  });

  test('canonical JSON sorts keys at every level', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3 } }), '{"a":{"c":3,"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});

describe('workspace disk measure', () => {
  test('counts files and directories below the root and does not follow symbolic links', async () => {
    const dir = await tempDir('dn-disk-');
    try {
      const empty = treeBytes(dir);
      await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
      await writeFile(path.join(dir, 'a', 'b', 'big'), Buffer.alloc(300_000, 1));
      const withFile = treeBytes(dir);
      assert.ok(withFile - empty >= 300_000, `${withFile - empty} bytes counted for a 300000-byte file`);
      // a link to a large tree outside (node_modules, /usr) must not count
      await symlink('/usr', path.join(dir, 'usr-link'));
      assert.ok(treeBytes(dir) - withFile < 4096);
      assert.equal(treeBytes(path.join(dir, 'missing')), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the fallback watchdog reports growth past the limit, not a workspace that was already over it', async () => {
    const dir = await tempDir('dn-disk-');
    const watchdog = new DiskWatchdog();
    const exceeded: number[] = [];
    try {
      await writeFile(path.join(dir, 'old'), Buffer.alloc(200_000, 1));
      const stop = watchdog.watch(dir, 100_000, (bytes) => exceeded.push(bytes));
      watchdog.checkNow(); // the first look records where the run started: over the limit, but not growing
      assert.deepEqual(exceeded, []);
      await writeFile(path.join(dir, 'new'), Buffer.alloc(50_000, 1));
      watchdog.checkNow();
      assert.equal(exceeded.length, 1);
      assert.ok(exceeded[0]! >= 250_000);
      stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('tree copy', () => {
  test('copies files, modes, empty and read-only directories and in-tree links; skips node_modules and .git', async () => {
    const dir = await tempDir('dn-copy-');
    try {
      const src = path.join(dir, 'src');
      await mkdir(path.join(src, 'lib', 'deep'), { recursive: true });
      await mkdir(path.join(src, 'empty'));
      await mkdir(path.join(src, 'node_modules', 'x'), { recursive: true });
      await mkdir(path.join(src, '.git'));
      await writeFile(path.join(src, 'lib', 'deep', 'a.js'), 'a');
      await writeFile(path.join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
      await writeFile(path.join(src, 'node_modules', 'x', 'i.js'), 'x');
      await symlink('lib/deep/a.js', path.join(src, 'alias.js'));
      await mkdir(path.join(src, 'sealed'), { mode: 0o555 });
      const dst = path.join(dir, 'dst');
      await copyTree(src, dst);
      assert.deepEqual((await listTree(dst)).map((e) => `${e.kind} ${e.rel}`), ['symlink alias.js', 'file lib/deep/a.js', 'file run.sh']);
      assert.equal(await readFile(path.join(dst, 'alias.js'), 'utf8'), 'a');
      assert.equal((await stat(path.join(dst, 'run.sh'))).mode & 0o777, 0o755);
      assert.equal((await stat(path.join(dst, 'sealed'))).mode & 0o777, 0o555);
      assert.ok((await stat(path.join(dst, 'empty'))).isDirectory());
      assert.equal(existsSync(path.join(dst, 'node_modules')) || existsSync(path.join(dst, '.git')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a link that leaves the tree is refused before anything is copied', async () => {
    const dir = await tempDir('dn-copy-');
    try {
      const src = path.join(dir, 'src');
      await mkdir(path.join(src, 'a'), { recursive: true });
      await writeFile(path.join(src, 'a', 'f.js'), 'f');
      for (const target of ['/etc/passwd', '../../outside', '../..']) {
        await rm(path.join(src, 'a', 'link'), { force: true });
        await symlink(target, path.join(src, 'a', 'link'));
        const dst = path.join(dir, 'dst');
        await assert.rejects(copyTree(src, dst), (err: unknown) => isEnvError(err) && err.code === 'ENV_ERR_INFRA' && err.message.includes('leaves the tree'));
        assert.equal(existsSync(dst), false, `${target}: nothing copied`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('baseline check', () => {
  const STEADY = 'unit/buffer.test.js › buffer › keeps pushes made during a write';
  const RACY = 'system/pipeline/counts.test.js › counts › each tenant reads what it sent';
  const OTHER = 'unit/other.test.js › other › passes';
  const entry = (id: string, failToPass: string[], intermittent?: string[]) => ({
    id, title: `bug ${id}`, class: 'races' as const, service: 'ingestion', files: ['services/ingestion/src/buffer.js'], fix: `fixes/${id}.patch`,
    fixSha256: 'a'.repeat(64), failToPass, ...(intermittent ? { intermittent } : {}), dependsOn: [], scenario: null, bonus: true, symptom: 'Counts come out low.', status: 'active' as const,
  });
  const manifest = { version: 1, bugs: [entry('R5', [STEADY, RACY], [RACY]), entry('R6', [RACY])] };
  const run = (failed: string[]) => ({ tests: [STEADY, RACY, OTHER].map((id) => ({ id, category: id.split('/')[0] as 'unit', status: failed.includes(id) ? 'failed' as const : 'passed' as const })) });

  test('a baseline may pass a present bug\'s intermittent test, never a steady one, nor one another present bug fails every time', () => {
    assert.doesNotThrow(() => checkBaseline(run([STEADY]), manifest, ['R5']));
    assert.doesNotThrow(() => checkBaseline(run([STEADY, RACY]), manifest, ['R5']));
    assert.throws(() => checkBaseline(run([RACY]), manifest, ['R5']), (err: unknown) => isEnvError(err) && err.code === 'ENV_ERR_INFRA' && /expected to fail but did not \(1\):\n {2}unit\/buffer/.test(err.message));
    assert.throws(() => checkBaseline(run([STEADY]), manifest, ['R5', 'R6']), /expected to fail but did not \(1\):\n {2}system\/pipeline/);
    assert.throws(() => checkBaseline(run([STEADY, OTHER]), manifest, ['R5']), /failing but not expected to \(1\)/);
  });
});
