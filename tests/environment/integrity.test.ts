import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runSuite } from '../../grader/src/index.ts';
import { call, FIXTURE, hasBwrap, REPO, reset, step, stepOk, tempDir, testApp, type TestEnv } from './helpers.ts';

// Grading integrity over the HTTP API, real bwrap sandboxes, the mini fixture:
// links (class 6), configuration outside the restored set (5), sabotaged runs and the step budget
// (7), baseline acceptance (8), host details in the sandbox (9).

interface Snapshot { content: string; mode: number; uid: number; gid: number; mtimeMs: number }

async function snapshot(dir: string): Promise<Map<string, Snapshot>> {
  const out = new Map<string, Snapshot>();
  for (const name of await readdir(dir)) {
    const p = path.join(dir, name);
    const st = await lstat(p);
    out.set(name, { content: createHash('sha256').update(await readFile(p)).digest('hex'), mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs });
  }
  return out;
}

describe('grading integrity', { skip: hasBwrap ? false : 'bubblewrap is not installed' }, () => {
  let env: TestEnv;
  before(async () => { env = await testApp(); });
  after(async () => { await env?.close(); });
  const app = () => env.app;

  test('links planted in the workspace never make the host read, write, delete or chown a decoy file', async () => {
    // A "host" directory with files at the paths the pristine src/ has, and a root-only file.
    const decoy = await tempDir('dn-decoy-host-');
    for (const f of await readdir(path.join(FIXTURE.targetDir, 'src'))) await writeFile(path.join(decoy, f), `decoy ${f}\n`);
    await writeFile(path.join(decoy, 'secret.txt'), 'root only\n', { mode: 0o600 });
    await chmod(path.join(decoy, 'secret.txt'), 0o600);
    const before = await snapshot(decoy);
    try {
      const { episodeId: id } = await reset(app(), { task: 'bug:N1' });
      const plant = [
        `rm -rf src && ln -s ${decoy} src`,
        `ln -s ${decoy}/secret.txt secret.txt`,
        'mkdir -p lib/node_modules/left-pad && echo "module.exports = 1" > lib/node_modules/left-pad/index.js',
        'mkdir -p deep && ln -s ../../.. deep/up',
      ].join(' && ');
      const p = await stepOk(app(), id, { type: 'exec', command: plant });
      assert.equal(p.observation.exitCode, 0, p.observation.stderr);

      for (const action of [
        { type: 'read_file', path: 'src/stats.js' },
        { type: 'read_file', path: 'secret.txt' },
        { type: 'list_files', path: 'src' },
        { type: 'list_files', path: 'deep/up' },
        { type: 'patch', diff: '--- a/src/stats.js\n+++ b/src/stats.js\n@@ -1 +1 @@\n-decoy stats.js\n+owned\n' },
        { type: 'patch', diff: '--- a/secret.txt\n+++ b/secret.txt\n@@ -1 +1 @@\n-root only\n+owned\n' },
      ]) {
        const r = await step(app(), id, action);
        assert.equal(r.status, 400, `${JSON.stringify(action)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, 'ENV_ERR_PATH_OUTSIDE_WORKSPACE');
      }

      const graded = await call(app(), 'POST', '/v1/reward', { episodeId: id });
      assert.equal(graded.status, 200, JSON.stringify(graded.body));
      const refused = graded.body.report.refusedChanges.map((r: { path: string }) => r.path);
      assert.deepEqual(refused, ['deep/up', 'lib/node_modules', 'secret.txt', 'src']);
      assert.match(graded.body.report.refusedChanges.find((r: { path: string }) => r.path === 'lib/node_modules').reason, /node_modules inside the tree is not graded/);
      // the pristine src/ was graded: N1 is still there, nothing else broke
      assert.deepEqual(graded.body.report.bugs, [{ id: 'N1', fixed: false, failToPass: { passed: 0, total: 1 } }]);
      assert.equal(graded.body.report.summary.missing, 0);

      const done = await stepOk(app(), id, { type: 'submit' });
      assert.ok(done.observation.notices.some((n: string) => /^refused lib\/node_modules: /.test(n)), JSON.stringify(done.observation));
    } finally {
      const afterwards = await snapshot(decoy);
      await rm(decoy, { recursive: true, force: true });
      assert.deepEqual(afterwards, before, 'no decoy was read into a grade, written, deleted, chmod-ed or chown-ed');
    }
  });

  test('a babel config in a subfolder is not graded, and the target needs no transform', async () => {
    // Every project of the target's and the fixture's jest config turns transforms off.
    for (const dir of [path.join(REPO, 'target'), FIXTURE.targetDir]) {
      const config = createRequire(import.meta.url)(path.join(dir, 'jest.config.js')) as { projects: Array<{ transform?: unknown }> };
      assert.ok(config.projects.length > 0 && config.projects.every((p) => JSON.stringify(p.transform) === '{}'), dir);
    }
    const { episodeId: id } = await reset(app(), { task: 'bug:N1' });
    const plugin = [
      "module.exports = () => ({ visitor: { BinaryExpression(p, state) {",
      "  if (!/stats\\.js$/.test(state.filename) || p.node.operator !== '-' || p.node.right.value !== 1) return;",
      "  p.replaceWith(p.node.left);",
      "} } });",
    ].join('\n');
    const cmd = `cat > src/babel-fix.js <<'EOF'\n${plugin}\nEOF\necho '{ "plugins": ["./babel-fix.js"] }' > src/.babelrc`;
    assert.equal((await stepOk(app(), id, { type: 'exec', command: cmd })).observation.exitCode, 0);
    const graded = await call(app(), 'POST', '/v1/reward', { episodeId: id });
    assert.equal(graded.body.report.grade.reward, 0);
    assert.ok(graded.body.report.ignoredChanges.includes('src/.babelrc'), JSON.stringify(graded.body.report));
    await call(app(), 'DELETE', `/v1/episodes/${id}`);
  });

  test('the same babel config does fix N1 when jest transforms and reads it (what the defences stop)', async () => {
    const dir = await tempDir('dn-babel-');
    try {
      const tree = path.join(dir, 'tree');
      await cp(FIXTURE.targetDir, tree, { recursive: true, filter: (s) => path.basename(s) !== 'node_modules' });
      await symlink(FIXTURE.nodeModulesDir, path.join(tree, 'node_modules'));
      await writeFile(path.join(tree, 'src', 'babel-fix.js'), "module.exports = () => ({ visitor: { BinaryExpression(p, state) { if (/stats\\.js$/.test(state.filename) && p.node.operator === '-' && p.node.right.value === 1) p.replaceWith(p.node.left); } } });\n");
      await writeFile(path.join(tree, 'src', '.babelrc'), '{ "plugins": ["./babel-fix.js"] }\n');
      const file = ['tests/unit/stats.test.js'];
      const id = 'unit/stats.test.js › stats › mean › averages every sample';
      const off = await runSuite({ dir: tree, files: file });
      assert.equal(off.results.tests.find((t) => t.id === id)?.status, 'failed', 'transform: {} reads no babel config');
      const config = path.join(tree, 'jest.config.js');
      await writeFile(config, (await readFile(config, 'utf8')).replace('transform: {},', ''));
      const on = await runSuite({ dir: tree, files: file });
      assert.equal(on.results.tests.find((t) => t.id === id)?.status, 'passed', 'with babel-jest the subfolder config rewrites the source at transform time');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('code that kills the jest parent gets a failed grade, also on the step that uses up the budget; later steps get a clear error', async () => {
    const { episodeId: id } = await reset(app(), { task: 'bug:N1', options: { maxSteps: 2 } });
    // Spelled so the change screen (tamper-resistance) does not see it: what the screen misses, the
    // broken-run rule must still score as a failed grade, never as an infrastructure error.
    const line = "const p = globalThis[atob('cHJvY2Vzcw==')]; p[atob('a2lsbA==')](p[atob('cHBpZA==')], 9);";
    const kill = `sed -i "1i ${line}" src/stats.js`;
    assert.equal((await stepOk(app(), id, { type: 'exec', command: kill })).observation.exitCode, 0);
    const last = await step(app(), id, { type: 'list_files', path: 'src' });
    assert.equal(last.status, 200, JSON.stringify(last.body));
    assert.deepEqual([last.body.reward, last.body.terminated, last.body.truncated], [0, false, true]);
    const report = last.body.info.grade;
    assert.equal(report.grade.outcome, 'unresolved');
    assert.match(report.brokenRun, /ended without results/);
    assert.equal(report.summary.missing, report.summary.total);
    const later = await step(app(), id, { type: 'list_files' });
    assert.equal(later.status, 409);
    assert.equal(later.body.code, 'ENV_ERR_RESET_NEEDED');
    const final = await call(app(), 'POST', '/v1/reward', { episodeId: id });
    assert.deepEqual([final.status, final.body.final, final.body.report.grade.reward], [200, true, 0]);
  });

  test('the sandbox\'s pid 1 shows no host path', async () => {
    const { episodeId: id } = await reset(app(), { task: 'bug:N1' });
    const r = await stepOk(app(), id, { type: 'exec', command: 'tr "\\0" " " < /proc/1/cmdline' });
    const cmdline = r.observation.stdout as string;
    assert.match(cmdline, /^\S*bwrap --args 3 -- bash /);
    for (const host of [env.stateDir, REPO, FIXTURE.nodeModulesDir]) assert.ok(!cmdline.includes(host), `${host} in ${cmdline}`);
    // passwd and group are data, not host files: what mountinfo still shows is in docs/grading-integrity.md
    const mounts = (await stepOk(app(), id, { type: 'exec', command: 'cut -d" " -f4,5 /proc/self/mountinfo' })).observation.stdout as string;
    assert.match(mounts, /^\/bindfile\S* \/etc\/passwd$/m);
    assert.doesNotMatch(mounts, /sandbox-etc/);
    await call(app(), 'DELETE', `/v1/episodes/${id}`);
  });
});

describe('baseline integrity', { skip: hasBwrap ? false : 'bubblewrap is not installed' }, () => {
  test('a baseline whose failing set is not the task\'s failToPass is an infra error, named and never cached', async () => {
    const dir = await tempDir('dn-baseline-');
    const manifestDir = path.join(dir, 'mini-manifest');
    await cp(path.dirname(FIXTURE.manifestPath), manifestDir, { recursive: true });
    const manifestPath = path.join(manifestDir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { bugs: Array<{ id: string; failToPass: string[] }> };
    // as if a poisoned server made one more test fail, or N1's own test passed
    manifest.bugs.find((b) => b.id === 'N1')!.failToPass = ['unit/stats.test.js › stats › sums values'];
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
    const cacheDir = path.join(dir, 'cache');
    await mkdir(cacheDir);
    const env = await testApp({ manifestPath, cacheDir });
    try {
      for (let i = 0; i < 2; i += 1) {
        const r = await call(env.app, 'POST', '/v1/reset', { task: 'bug:N1' });
        assert.equal(r.status, 503, JSON.stringify(r.body));
        assert.equal(r.body.code, 'ENV_ERR_INFRA');
        assert.match(r.body.message, /failing but not expected to \(1\):\n {2}unit\/stats\.test\.js › stats › mean › averages every sample/);
        assert.match(r.body.message, /expected to fail but did not \(1\):\n {2}unit\/stats\.test\.js › stats › sums values/);
      }
      const cached = await readdir(path.join(cacheDir, 'runs')).catch(() => []);
      assert.deepEqual(cached, [], 'a rejected baseline is not cached');
      const other = await reset(env.app, { task: 'bug:R1' });
      assert.ok(other.episodeId, 'a task whose baseline is right still starts');
    } finally {
      await env.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
