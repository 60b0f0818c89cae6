import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { hashTree, materialize, patchedFiles } from '../../grader/src/index.ts';
import { copyManifestDir, FIXTURE_MANIFEST, FIXTURE_TARGET, TARGET_NODE_MODULES, tempDir } from './helpers.ts';

const BUGGY = {
  stats: 'return sum(values) / (values.length - 1);',
  retry: 'for (let i = 1; i < attempts; i += 1)',
  files: "require('./sanitise')",
};

async function read(dir: string, rel: string): Promise<string> {
  return readFile(path.join(dir, rel), 'utf8');
}

async function listAll(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory()) out.push(...(await listAll(dir, r)));
  }
  return out;
}

describe('materialize', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  const opts = { targetDir: FIXTURE_TARGET, manifestPath: FIXTURE_MANIFEST };
  before(async () => { tmp = await tempDir('grader-mat-'); });
  after(async () => { await tmp.cleanup(); });

  test('--bugs none applies every fix', async () => {
    const out = path.join(tmp.dir, 'none');
    const r = await materialize({ ...opts, bugs: 'none', out });
    assert.deepEqual(r.bugsPresent, []);
    assert.ok(!(await read(out, 'src/stats.js')).includes(BUGGY.stats));
    assert.ok((await read(out, 'src/stats.js')).includes('return sum(values) / values.length;'));
    assert.ok(!(await read(out, 'src/retry.js')).includes(BUGGY.retry));
    assert.ok((await read(out, 'src/files.js')).includes("require('./sanitize')"));
  });

  test('--bugs all is the shipped tree, without node_modules', async () => {
    const out = path.join(tmp.dir, 'all');
    const r = await materialize({ ...opts, bugs: 'all', out });
    assert.deepEqual(r.bugsPresent, ['N1', 'R1', 'X1']);
    assert.ok(!existsSync(path.join(out, 'node_modules')));
    assert.equal(r.contentHash, await hashTree(FIXTURE_TARGET));
    assert.ok((await read(out, 'src/stats.js')).includes(BUGGY.stats));
  });

  test('a subset keeps exactly those bugs', async () => {
    const out = path.join(tmp.dir, 'r1');
    const r = await materialize({ ...opts, bugs: ['R1'], out });
    assert.deepEqual(r.bugsPresent, ['R1']);
    assert.ok((await read(out, 'src/retry.js')).includes(BUGGY.retry));
    assert.ok(!(await read(out, 'src/stats.js')).includes(BUGGY.stats));
    assert.ok(!(await read(out, 'src/files.js')).includes(BUGGY.files));
  });

  test('the output holds no manifest, no patch and no .git, and its hash depends only on content', async () => {
    const a = await materialize({ ...opts, bugs: ['X1', 'N1'], out: path.join(tmp.dir, 'h1') });
    const b = await materialize({ ...opts, bugs: ['N1', 'X1'], out: path.join(tmp.dir, 'deeper', 'h2'), linkNodeModules: TARGET_NODE_MODULES });
    assert.equal(a.contentHash, b.contentHash);
    assert.deepEqual(a.bugsPresent, ['N1', 'X1']);
    const files = await listAll(a.out);
    assert.ok(files.every((f) => !/manifest|\.patch$|(^|\/)\.git(\/|$)|\.orig$|\.rej$/.test(f)), files.join(', '));
    assert.ok(existsSync(path.join(b.out, 'node_modules', 'jest', 'bin', 'jest.js')), 'linked node_modules');
    const other = await materialize({ ...opts, bugs: ['N1'], out: path.join(tmp.dir, 'h3') });
    assert.notEqual(other.contentHash, a.contentHash);
  });

  test('applies patches correctly inside another git repository (no path confusion)', async () => {
    const repo = path.join(tmp.dir, 'repo');
    await mkdir(repo);
    await execa('git', ['init', '-q'], { cwd: repo });
    const out = path.join(repo, 'sub', 'tree');
    await materialize({ ...opts, bugs: 'none', out });
    assert.ok(!(await read(out, 'src/retry.js')).includes(BUGGY.retry));
  });

  test('errors: unknown bug, non-empty output, output inside the target', async () => {
    await assert.rejects(materialize({ ...opts, bugs: ['Q1'], out: path.join(tmp.dir, 'x1') }), { code: 'GRADER_ERR_UNKNOWN_BUG' });
    const full = path.join(tmp.dir, 'full');
    await mkdir(full);
    await writeFile(path.join(full, 'f'), '');
    await assert.rejects(materialize({ ...opts, bugs: 'none', out: full }), { code: 'GRADER_ERR_OUT_EXISTS' });
    await assert.rejects(materialize({ ...opts, bugs: 'none', out: path.join(FIXTURE_TARGET, 'out') }), { code: 'GRADER_ERR_INVALID_OPTION' });
    assert.ok(!existsSync(path.join(tmp.dir, 'x1')));
  });

  test('a patch that does not apply is GRADER_ERR_PATCH_FAILED naming the bug, and leaves no output', async () => {
    const manifestPath = await copyManifestDir(path.join(tmp.dir, 'm-bad'));
    const patchFile = path.join(path.dirname(manifestPath), 'fixes', 'R1.patch');
    const broken = (await readFile(patchFile, 'utf8')).replace('-  for (let i = 1; i < attempts; i += 1) {', '-  for (let i = 0; i < attempts; i += 1) {');
    await writeFile(patchFile, broken);
    const m = JSON.parse(await readFile(manifestPath, 'utf8')) as { bugs: Array<{ id: string; fixSha256: string }> };
    m.bugs.find((b) => b.id === 'R1')!.fixSha256 = createHash('sha256').update(broken).digest('hex');
    await writeFile(manifestPath, JSON.stringify(m, null, 2));
    const out = path.join(tmp.dir, 'bad-out');
    await assert.rejects(materialize({ targetDir: FIXTURE_TARGET, manifestPath, bugs: 'none', out }), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'GRADER_ERR_PATCH_FAILED');
      assert.match(err.message ?? '', /fix patch of R1 does not apply/);
      return true;
    });
    assert.ok(!existsSync(out));
    // with R1 kept, its patch is not needed
    await materialize({ targetDir: FIXTURE_TARGET, manifestPath, bugs: ['R1'], out: path.join(tmp.dir, 'bad-but-kept') });
  });

  test('a patch whose sha256 differs from the manifest is refused before anything is copied', async () => {
    const manifestPath = await copyManifestDir(path.join(tmp.dir, 'm-sha'));
    await writeFile(path.join(path.dirname(manifestPath), 'fixes', 'N1.patch'), 'tampered\n');
    const out = path.join(tmp.dir, 'sha-out');
    await assert.rejects(materialize({ targetDir: FIXTURE_TARGET, manifestPath, bugs: 'none', out }), { code: 'GRADER_ERR_FIX_SHA_MISMATCH' });
    assert.ok(!existsSync(out));
  });
});

describe('hashTree', () => {
  test('is stable, ignores node_modules, and sees content, names and exclusions', async () => {
    const { dir, cleanup } = await tempDir('grader-hash-');
    try {
      await mkdir(path.join(dir, 'a', 'node_modules'), { recursive: true });
      await writeFile(path.join(dir, 'a', 'x.js'), 'x');
      await writeFile(path.join(dir, 'b.js'), 'b');
      const h1 = await hashTree(dir);
      await writeFile(path.join(dir, 'a', 'node_modules', 'dep.js'), 'ignored');
      assert.equal(await hashTree(dir), h1);
      await writeFile(path.join(dir, 'b.js'), 'B');
      const h2 = await hashTree(dir);
      assert.notEqual(h2, h1);
      assert.equal(await hashTree(dir, { exclude: ['b.js'] }), await hashTree(dir, { include: ['a'] }));
      assert.match(h2, /^[0-9a-f]{64}$/);
    } finally {
      await cleanup();
    }
  });
});

describe('patchedFiles', () => {
  test('reads the files a unified diff touches', async () => {
    const patch = await readFile(path.join(path.dirname(FIXTURE_MANIFEST), 'fixes', 'N1.patch'), 'utf8');
    assert.deepEqual(patchedFiles(patch), ['src/stats.js']);
  });
});
