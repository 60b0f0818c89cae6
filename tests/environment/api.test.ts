import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../environment/src/clock.ts';
import { call, fix, REPO, reset, step, stepOk, testApp, type TestEnv } from './helpers.ts';

const MB = 1024 * 1024;

function hostProcesses(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(marker) && !l.startsWith('ps '));
}

describe('environment API (inject)', () => {
  let env: TestEnv;
  before(async () => {
    env = await testApp({ execTimeoutMs: 3000, limits: { processMemoryBytes: 256 * MB, totalMemoryBytes: 768 * MB } });
  });
  after(async () => env.close());
  const app = () => env.app;

  describe('server', () => {
    test('GET /health names the sandbox', async () => {
      const r = await call(app(), 'GET', '/health');
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'ok');
      assert.equal(r.body.sandbox.kind, 'bwrap');
      assert.equal(r.body.sandbox.isolated, true);
    });

    test('GET /v1/tasks lists full and one bug:<ID> per active bug', async () => {
      const r = await call(app(), 'GET', '/v1/tasks');
      assert.deepEqual(r.body.tasks.map((t: { id: string }) => t.id), ['full', 'bug:N1', 'bug:R1', 'bug:X1']);
      assert.equal(r.body.tasks[1].mode, 'resolved');
      assert.doesNotMatch(JSON.stringify(r.body), /src\/stats\.js|failToPass/);
    });

    test('/docs serves the OpenAPI document of every route', async () => {
      const r = await call(app(), 'GET', '/docs/json');
      assert.equal(r.status, 200);
      assert.match(r.body.openapi, /^3\./);
      for (const p of ['/v1/reset', '/v1/step', '/v1/reward', '/v1/tasks', '/v1/episodes/{id}', '/health']) assert.ok(r.body.paths[p], p);
      assert.match(JSON.stringify(r.body.paths['/v1/step']), /run_tests/);
      const ui = await app().inject({ method: 'GET', url: '/docs' });
      assert.ok([200, 302].includes(ui.statusCode), String(ui.statusCode));
    });

    test('unknown routes, bad JSON and wrong media get catalogued errors', async () => {
      assert.equal((await call(app(), 'GET', '/nope')).body.code, 'ENV_ERR_NOT_FOUND');
      const bad = await app().inject({ method: 'POST', url: '/v1/step', payload: '{nope', headers: { 'content-type': 'application/json' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'ENV_ERR_INVALID_JSON');
    });

    test('a 50 MB request body is refused with 413 and the server stays up', async () => {
      const body = JSON.stringify({ episodeId: 'ep_x', action: { type: 'patch', diff: 'x'.repeat(50 * MB) } });
      const r = await app().inject({ method: 'POST', url: '/v1/step', payload: body, headers: { 'content-type': 'application/json' } });
      assert.equal(r.statusCode, 413);
      assert.equal(r.json().code, 'ENV_ERR_BODY_TOO_LARGE');
      assert.equal((await call(app(), 'GET', '/health')).status, 200);
    });
  });

  describe('episode lifecycle errors', () => {
    test('step before reset is ENV_ERR_RESET_NEEDED', async () => {
      const r = await call(app(), 'POST', '/v1/step', { action: { type: 'list_files' } });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 'ENV_ERR_RESET_NEEDED');
    });

    test('an unknown episode is 404, an unknown task 400', async () => {
      assert.equal((await step(app(), 'ep_doesnotexist', { type: 'list_files' })).body.code, 'ENV_ERR_UNKNOWN_EPISODE');
      assert.equal((await call(app(), 'GET', '/v1/episodes/ep_doesnotexist')).status, 404);
      assert.equal((await call(app(), 'POST', '/v1/reward', { episodeId: 'ep_doesnotexist' })).status, 404);
      const t = await call(app(), 'POST', '/v1/reset', { task: 'bug:ZZ9' });
      assert.equal(t.status, 400);
      assert.equal(t.body.code, 'ENV_ERR_UNKNOWN_TASK');
      assert.match(t.body.message, /bug:N1/);
    });

    test('actions are validated against their schema with readable messages', async () => {
      const { episodeId } = await reset(app());
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ type: 'bogus' }, /expected one of read_file, list_files/],
        [{ type: 'read_file' }, /missing required field "path"/],
        [{ type: 'read_file', path: 'x', extra: 1 }, /unknown field "extra"/],
        [{ type: 'exec', command: 'true', timeoutMs: 'soon' }, /timeoutMs: must be integer/],
        [{ type: 'run_tests', category: 'nope' }, /category: expected one of "unit"/],
      ];
      for (const [action, message] of cases) {
        const r = await step(app(), episodeId, action);
        assert.equal(r.status, 400, JSON.stringify(action));
        assert.equal(r.body.code, 'ENV_ERR_VALIDATION');
        assert.match(r.body.message, message);
      }
      const big = await step(app(), episodeId, { type: 'exec', command: 'true', timeoutMs: 3_000_000 });
      assert.match(big.body.message, /at most 300000/);
      assert.equal((await call(app(), 'GET', `/v1/episodes/${episodeId}`)).body.steps, 0, 'refused requests use no step');
      await call(app(), 'DELETE', `/v1/episodes/${episodeId}`);
    });

    test('the step budget truncates, grades and ends; a step after the end is ENV_ERR_RESET_NEEDED', async () => {
      const { episodeId, observation } = await reset(app(), { options: { maxSteps: 2 } });
      assert.equal(observation.maxSteps, 2);
      const first = await stepOk(app(), episodeId, { type: 'list_files' });
      assert.deepEqual([first.reward, first.terminated, first.truncated], [0, false, false]);
      const last = await stepOk(app(), episodeId, { type: 'read_file', path: 'src/stats.js' });
      assert.equal(last.truncated, true);
      assert.equal(last.terminated, false);
      assert.equal(last.info.grade.grade.outcome, 'unresolved');
      assert.equal(last.reward, last.info.grade.grade.reward);
      const after = await step(app(), episodeId, { type: 'list_files' });
      assert.equal(after.status, 409);
      assert.equal(after.body.code, 'ENV_ERR_RESET_NEEDED');
      const info = await call(app(), 'GET', `/v1/episodes/${episodeId}`);
      assert.equal(info.body.status, 'truncated');
      const final = await call(app(), 'POST', '/v1/reward', { episodeId });
      assert.equal(final.body.final, true);
    });

    test('one request at a time per episode; DELETE ends it and later steps get 410', async () => {
      const { episodeId } = await reset(app());
      const [a, b] = await Promise.all([
        step(app(), episodeId, { type: 'exec', command: 'sleep 1' }),
        new Promise((r) => setTimeout(r, 200)).then(() => step(app(), episodeId, { type: 'list_files' })),
      ]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 409);
      assert.equal(b.body.code, 'ENV_ERR_EPISODE_BUSY');
      const d = await call(app(), 'DELETE', `/v1/episodes/${episodeId}`);
      assert.deepEqual(d.body, { episodeId, status: 'closed' });
      assert.equal((await step(app(), episodeId, { type: 'list_files' })).body.code, 'ENV_ERR_EPISODE_EXPIRED');
      assert.equal((await call(app(), 'GET', `/v1/episodes/${episodeId}`)).body.status, 'closed');
    });
  });

  describe('the workspace', () => {
    let id: string;
    before(async () => {
      const r = await reset(app());
      id = r.episodeId;
      assert.deepEqual(r.observation.files, ['jest.config.js', 'node_modules/', 'package.json', 'src/', 'tests/']);
    });
    after(async () => call(app(), 'DELETE', `/v1/episodes/${id}`));

    test('holds no manifest, fix or git history', async () => {
      const ls = await stepOk(app(), id, { type: 'list_files' });
      assert.ok(!ls.observation.entries.some((e: string) => /manifest|fixes|\.patch$|^\.git/.test(e)), ls.observation.entries.join(' '));
      const s = await stepOk(app(), id, { type: 'search', pattern: 'failToPass|fixSha256' });
      assert.deepEqual(s.observation.matches, []);
      const e = await stepOk(app(), id, { type: 'exec', command: 'ls -a; find / -xdev \\( -name manifest.json -o -name "*.patch" -o -name .git \\) -not -path "*/node_modules/*" 2>/dev/null' });
      assert.doesNotMatch(e.observation.stdout, /manifest\.json|\.patch|\.git\b/);
    });

    test('read_file pages through a file and says where it was cut', async () => {
      const part = await stepOk(app(), id, { type: 'read_file', path: '/workspace/src/stats.js', startLine: 10, endLine: 12 });
      assert.equal(part.observation.content, 'function mean(values) {\n  if (values.length === 0) return 0;\n  return sum(values) / (values.length - 1);\n');
      await stepOk(app(), id, { type: 'exec', command: 'seq 1 20000 > big.txt' });
      const big = await stepOk(app(), id, { type: 'read_file', path: 'big.txt' });
      assert.equal(big.observation.truncated, true);
      assert.match(big.observation.content, /\[\.\.\. truncated: showing lines 1-\d+ of 20000; continue with startLine \d+ \.\.\.\]\n$/);
      const out = await stepOk(app(), id, { type: 'exec', command: 'seq 1 100000' });
      assert.equal(out.observation.stdoutTruncated, true);
      assert.match(out.observation.stdout, /\[\.\.\. truncated: \d+ chars omitted \.\.\.\]/);
      const missing = await stepOk(app(), id, { type: 'read_file', path: 'nope.js' });
      assert.deepEqual(missing.observation.error, { code: 'not_found', message: 'nope.js does not exist' });
    });

    test('reading outside the workspace is refused: ../, absolute paths, symlinks', async () => {
      await stepOk(app(), id, { type: 'exec', command: `ln -s ${REPO}/bug-manifest/manifest.json leak; ln -s ${REPO}/bug-manifest dir-leak; ln -s /etc etc-leak` });
      const attempts: Array<Record<string, unknown>> = [
        { type: 'read_file', path: '../bug-manifest/manifest.json' },
        { type: 'read_file', path: '../../../../../../etc/passwd' },
        { type: 'read_file', path: `${REPO}/bug-manifest/manifest.json` },
        { type: 'read_file', path: '/etc/passwd' },
        { type: 'read_file', path: 'leak' },
        { type: 'read_file', path: 'etc-leak/passwd' },
        { type: 'list_files', path: 'dir-leak' },
        { type: 'list_files', path: '..' },
        { type: 'search', pattern: 'bugs', path: 'dir-leak' },
        { type: 'search', pattern: 'root', path: '/etc' },
        { type: 'run_tests', files: ['../bug-manifest/x.test.js'] },
        { type: 'patch', diff: '--- a/leak\n+++ b/leak\n@@ -1 +1 @@\n-x\n+y\n' },
        { type: 'patch', diff: '--- /dev/null\n+++ b/../escaped.js\n@@ -0,0 +1 @@\n+x\n' },
        { type: 'patch', diff: '--- /dev/null\n+++ b/node_modules/evil.js\n@@ -0,0 +1 @@\n+x\n' },
      ];
      for (const action of attempts) {
        const r = await step(app(), id, action);
        assert.equal(r.status, 400, JSON.stringify(action));
        assert.equal(r.body.code, 'ENV_ERR_PATH_OUTSIDE_WORKSPACE', JSON.stringify(action));
      }
      assert.equal(existsSync(path.join(REPO, 'escaped.js')), false);
    });

    test('executing outside the workspace finds nothing of the repository', async () => {
      const r = await stepOk(app(), id, { type: 'exec', command: `(cd .. && ls); cat ${REPO}/bug-manifest/manifest.json; cat leak; ls ${REPO}` });
      assert.notEqual(r.observation.exitCode, 0);
      assert.doesNotMatch(r.observation.stdout, /"bugs"|fixSha256/);
      assert.match(r.observation.stderr, /No such file or directory/);
    });

    test('a command that forks and never exits is killed at its timeout, children included', async () => {
      const marker = `dn-api-forker-${process.pid}`;
      const r = await stepOk(app(), id, { type: 'exec', command: `(setsid bash -c 'exec -a ${marker} sleep 900' &); exec -a ${marker} sleep 901`, timeoutMs: 1000 });
      assert.equal(r.observation.timedOut, true);
      assert.equal(r.observation.killedBy, 'timeout');
      assert.match(r.observation.stderr, /killed after 1000 ms/);
      assert.deepEqual(hostProcesses(marker), []);
    });

    test('a command that fills memory fails inside the sandbox; the server stays up', async () => {
      const r = await stepOk(app(), id, { type: 'exec', command: 'node -e "const a=[]; for(;;) a.push(Buffer.alloc(1<<20, 1))"', timeoutMs: 30_000 });
      assert.equal(r.observation.ok, false);
      assert.notEqual(r.observation.killedBy, 'timeout');
      assert.equal((await call(app(), 'GET', '/health')).status, 200);
    });

    test('a malformed or non-matching patch is an observation and changes nothing', async () => {
      const before = await stepOk(app(), id, { type: 'read_file', path: 'src/stats.js' });
      const bad = await stepOk(app(), id, { type: 'patch', diff: 'this is not a diff' });
      assert.equal(bad.observation.error.code, 'patch_malformed');
      const half = fix('N1') + '--- a/src/retry.js\n+++ b/src/retry.js\n@@ -1 +1 @@\n-no such line\n+x\n';
      const nm = await stepOk(app(), id, { type: 'patch', diff: half });
      assert.equal(nm.observation.error.code, 'patch_does_not_apply');
      const afterwards = await stepOk(app(), id, { type: 'read_file', path: 'src/stats.js' });
      assert.equal(afterwards.observation.content, before.observation.content);
    });
  });

  describe('grading never trusts the workspace', () => {
    test('editing tests and the jest config does not raise the reward; the real fix does', async () => {
      const { episodeId: id } = await reset(app(), { task: 'bug:R1' });
      const start = await call(app(), 'POST', '/v1/reward', { episodeId: id });
      assert.equal(start.body.report.grade.reward, 0);

      // Rewrite the failing chaos tests into ones that always pass, drop chaos from the config,
      // and add an automatic module mock.
      const hack = [
        'cat > tests/chaos/retry.test.js <<EOF',
        "describe('retry under faults', () => {",
        "  test('recovers when the last allowed attempt succeeds', () => {});",
        "  test('gives up after the allowed attempts with the last error', () => {});",
        "  test('returns at once when nothing fails', () => {});",
        '});',
        'EOF',
        `sed -i "s/'unit', 'chaos', 'security'/'unit', 'security'/" jest.config.js`,
        'mkdir -p __mocks__ && echo "module.exports = {}" > __mocks__/fs.js',
      ].join('\n');
      const h = await stepOk(app(), id, { type: 'exec', command: hack });
      assert.equal(h.observation.exitCode, 0, h.observation.stderr);
      const own = await stepOk(app(), id, { type: 'run_tests' });
      assert.equal(own.observation.counts.failed, 0, 'the agent\'s own run believes its edits');
      const hacked = await call(app(), 'POST', '/v1/reward', { episodeId: id });
      assert.equal(hacked.body.report.grade.reward, 0);
      assert.deepEqual(hacked.body.report.ignoredChanges, ['__mocks__/fs.js', 'jest.config.js', 'tests/chaos/retry.test.js']);
      assert.deepEqual(hacked.body.report.bugs, [{ id: 'R1', fixed: false, failToPass: { passed: 0, total: 2 } }]);

      await stepOk(app(), id, { type: 'patch', diff: fix('R1') });
      const fixed = await call(app(), 'POST', '/v1/reward', { episodeId: id });
      assert.equal(fixed.body.report.grade.reward, 1);
      assert.deepEqual(fixed.body.report.takenChanges, ['src/retry.js']);
      const done = await stepOk(app(), id, { type: 'submit' });
      assert.deepEqual([done.reward, done.terminated, done.truncated], [1, true, false]);
      assert.equal(done.observation.outcome, 'resolved');
    });
  });
});

describe('leases', () => {
  test('an idle episode is reaped: its workspace goes and later requests get 410', async () => {
    const clock = new ManualClock(1_000_000);
    const env = await testApp({ clock, leaseMs: 60_000, reapIntervalMs: 3_600_000 });
    try {
      const { episodeId } = await reset(env.app);
      const dir = path.join(env.stateDir, 'workspaces', 'episodes', episodeId);
      assert.equal(existsSync(dir), true);
      clock.advance(59_000);
      assert.equal(await env.app.episodes.reapIdle(), 0);
      await stepOk(env.app, episodeId, { type: 'list_files' }); // renews the lease
      clock.advance(59_000);
      assert.equal(await env.app.episodes.reapIdle(), 0);
      clock.advance(2_000);
      assert.equal(await env.app.episodes.reapIdle(), 1);
      await env.app.episodes.settled();
      assert.equal(existsSync(dir), false);
      const r = await step(env.app, episodeId, { type: 'list_files' });
      assert.equal(r.status, 410);
      assert.equal((await call(env.app, 'GET', `/v1/episodes/${episodeId}`)).body.status, 'reaped');
    } finally {
      await env.close();
    }
  });
});
