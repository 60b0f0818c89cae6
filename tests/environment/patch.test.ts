import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isEnvError } from '../../environment/src/errors.ts';
import { applyHunks, commitPlan, PatchApplyError, planPatch } from '../../environment/src/workspace/diff-apply.ts';
import { parseUnifiedDiff, PatchParseError } from '../../environment/src/workspace/diff-parse.ts';
import { fix } from './fixtures.ts';

let dir: string;
let outside: string;
const roots = () => ({ root: dir, nodeModules: null });

async function apply(diff: string): Promise<void> {
  const { planned } = await planPatch(roots(), parseUnifiedDiff(diff));
  await commitPlan(planned, null);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dn-patch-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'dn-patch-outside-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('parsing', () => {
  test('reads a git diff with its a/ b/ prefixes', () => {
    const [p] = parseUnifiedDiff(fix('N1'));
    assert.equal(p!.oldPath, 'src/stats.js');
    assert.equal(p!.newPath, 'src/stats.js');
    assert.equal(p!.hunks.length, 1);
    assert.equal(p!.hunks[0]!.oldStart, 9);
  });

  test('reads new, deleted and renamed files', () => {
    const ps = parseUnifiedDiff([
      'diff --git a/n.js b/n.js', 'new file mode 100644', '--- /dev/null', '+++ b/n.js', '@@ -0,0 +1,2 @@', '+a', '+b',
      'diff --git a/d.js b/d.js', 'deleted file mode 100644', '--- a/d.js', '+++ /dev/null', '@@ -1 +0,0 @@', '-x',
      'diff --git a/r.js b/s.js', 'similarity index 100%', 'rename from r.js', 'rename to s.js', '',
    ].join('\n'));
    assert.deepEqual(ps.map((p) => [p.oldPath, p.newPath]), [[null, 'n.js'], ['d.js', null], ['r.js', 's.js']]);
  });

  test('refuses text without hunks, hunks that end early, and binary patches', () => {
    assert.throws(() => parseUnifiedDiff('just words'), PatchParseError);
    assert.throws(() => parseUnifiedDiff('--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n'), /ends early/);
    assert.throws(() => parseUnifiedDiff('diff --git a/x b/x\nGIT binary patch\nliteral 1\n'), /binary/);
  });
});

describe('applying', () => {
  test('finds a hunk that moved and keeps the final newline', () => {
    const out = applyHunks('x\ny\na\nb\nc\n', parseUnifiedDiff('--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n')[0]!.hunks, 'f');
    assert.equal(out, 'x\ny\na\nB\nc\n');
  });

  test('honours "No newline at end of file"', () => {
    const diff = '--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n';
    assert.equal(applyHunks('a', parseUnifiedDiff(diff)[0]!.hunks, 'f'), 'b\n');
  });

  test('creates, modifies and deletes files in one patch', async () => {
    await writeFile(path.join(dir, 'm.js'), 'one\ntwo\n');
    await writeFile(path.join(dir, 'gone.js'), 'bye\n');
    await apply([
      '--- /dev/null', '+++ b/sub/new.js', '@@ -0,0 +1 @@', '+hello',
      '--- a/m.js', '+++ b/m.js', '@@ -1,2 +1,2 @@', ' one', '-two', '+TWO',
      '--- a/gone.js', '+++ /dev/null', '@@ -1 +0,0 @@', '-bye', '',
    ].join('\n'));
    assert.equal(await readFile(path.join(dir, 'sub/new.js'), 'utf8'), 'hello\n');
    assert.equal(await readFile(path.join(dir, 'm.js'), 'utf8'), 'one\nTWO\n');
    await assert.rejects(stat(path.join(dir, 'gone.js')));
  });

  test('is atomic: when the second file does not match, the first is left as it was', async () => {
    await writeFile(path.join(dir, 'a.js'), 'a\n');
    await writeFile(path.join(dir, 'b.js'), 'b\n');
    const diff = '--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-a\n+A\n--- a/b.js\n+++ b/b.js\n@@ -1 +1 @@\n-nope\n+B\n';
    await assert.rejects(apply(diff), PatchApplyError);
    assert.equal(await readFile(path.join(dir, 'a.js'), 'utf8'), 'a\n');
    assert.equal(await readFile(path.join(dir, 'b.js'), 'utf8'), 'b\n');
  });

  test('refuses paths outside the workspace, in node_modules, and through symlinks', async () => {
    await mkdir(path.join(dir, 'node_modules'), { recursive: true });
    await symlink(outside, path.join(dir, 'out'));
    await writeFile(path.join(outside, 'x.js'), 'x\n');
    for (const p of ['../escape.js', '/etc/passwd', 'node_modules/jest/index.js', 'out/x.js']) {
      const diff = `--- a/${p}\n+++ b/${p}\n@@ -1 +1 @@\n-x\n+y\n`.replace('a//', '/').replace('b//', '/');
      await assert.rejects(apply(diff), (err: unknown) => isEnvError(err) && err.code === 'ENV_ERR_PATH_OUTSIDE_WORKSPACE', p);
    }
    assert.equal(await readFile(path.join(outside, 'x.js'), 'utf8'), 'x\n');
  });
});
