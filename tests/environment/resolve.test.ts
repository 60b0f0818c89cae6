import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
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
