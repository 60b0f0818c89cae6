import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isEnvError } from '../../environment/src/errors.ts';
import { resolveWorkspacePath } from '../../environment/src/workspace/resolve.ts';

let root: string;
let shared: string;
let outside: string;
const roots = () => ({ root, nodeModules: shared });
const refused = (err: unknown) => isEnvError(err) && err.code === 'ENV_ERR_PATH_OUTSIDE_WORKSPACE';

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'dn-resolve-'));
  shared = await mkdtemp(path.join(os.tmpdir(), 'dn-resolve-nm-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'dn-resolve-out-'));
  await mkdir(path.join(root, 'src'));
  await writeFile(path.join(root, 'src', 'a.js'), 'a');
  await symlink('src/a.js', path.join(root, 'inside-link'));
  await symlink(outside, path.join(root, 'outside-link'));
  await symlink('/nonexistent/target', path.join(root, 'dangling'));
  await mkdir(path.join(shared, 'jest'));
});
after(async () => {
  for (const d of [root, shared, outside]) await rm(d, { recursive: true, force: true });
});

test('relative paths, /workspace/… and symlinks that stay inside resolve', async () => {
  assert.equal((await resolveWorkspacePath(roots(), 'src/a.js')).rel, 'src/a.js');
  assert.equal((await resolveWorkspacePath(roots(), './src/../src/a.js')).rel, 'src/a.js');
  assert.equal((await resolveWorkspacePath(roots(), '/workspace/src/a.js')).rel, 'src/a.js');
  assert.equal((await resolveWorkspacePath(roots(), '')).rel, '');
  assert.equal((await resolveWorkspacePath(roots(), 'inside-link')).rel, 'inside-link');
  assert.equal((await resolveWorkspacePath(roots(), 'src/new/file.js')).rel, 'src/new/file.js');
});

test('absolute paths, "..", NUL bytes and links leading out are refused', async () => {
  for (const p of ['/etc/passwd', '/work/main/bug-manifest/manifest.json', '../bug-manifest/manifest.json', 'src/../../x', 'a\0b', 'outside-link/x', 'outside-link', 'dangling', 'C:/x']) {
    await assert.rejects(resolveWorkspacePath(roots(), p), refused, p);
  }
});

test('node_modules is served from the shared directory, read-only', async () => {
  const r = await resolveWorkspacePath(roots(), 'node_modules/jest');
  assert.equal(r.shared, true);
  assert.equal(r.abs, path.join(shared, 'jest'));
  await assert.rejects(resolveWorkspacePath(roots(), 'node_modules/jest/x.js', { forWrite: true }), refused);
  await assert.rejects(resolveWorkspacePath(roots(), 'inside-link', { forWrite: true }), refused);
});

test('a path through a symlinked directory is refused even when the link stays inside; a final link is shown, not followed', async () => {
  await symlink('src', path.join(root, 'src-link'));
  await assert.rejects(resolveWorkspacePath(roots(), 'src-link/a.js'), (err: unknown) => refused(err) && /goes through the symlink src-link/.test((err as Error).message));
  await assert.rejects(resolveWorkspacePath(roots(), 'src-link/new.js', { forWrite: true }), refused);
  assert.equal((await resolveWorkspacePath(roots(), 'src-link')).rel, 'src-link');
});

test('host-side file helpers never follow or write through a link', async () => {
  const { linkLeavesTree, readRegularFile, replaceFile, removeEntry, NotARegularFile } = await import('../../environment/src/workspace/safe-fs.ts');
  assert.equal(linkLeavesTree('a/b', '/etc'), true);
  assert.equal(linkLeavesTree('a/b', '../../x'), true);
  assert.equal(linkLeavesTree('a/b', '../x'), false);
  assert.equal(linkLeavesTree('a/b', 'c/../../..'), true);
  const victim = path.join(outside, 'victim.txt');
  await writeFile(victim, 'host\n');
  await symlink(victim, path.join(root, 'to-victim'));
  await link(victim, path.join(outside, 'hard.txt'));
  await assert.rejects(readRegularFile(path.join(root, 'to-victim')), NotARegularFile);
  await replaceFile(path.join(root, 'to-victim'), 'agent\n', 0o644, null);
  await replaceFile(path.join(outside, 'hard.txt'), 'agent\n', 0o644, null);
  assert.equal(await readFile(victim, 'utf8'), 'host\n', 'the link and the hard link were replaced, the file behind them untouched');
  await symlink(outside, path.join(root, 'dir-link'));
  await removeEntry(root, 'dir-link/victim.txt');
  assert.equal(await readFile(victim, 'utf8'), 'host\n', 'nothing is removed through a linked directory');
});
