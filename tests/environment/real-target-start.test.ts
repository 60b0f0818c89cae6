import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activeBugs, loadManifest } from '@datanexus/grader';
import { EnvClient } from '../../environment/src/client/client.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_STATE_DIR } from '../../environment/src/paths.ts';
import { serve, type RunningServer } from '../../environment/src/server.ts';
import { tempDir } from './fixtures.ts';

// What an agent does first in an episode: `npm start` in the workspace, then curl the gateway.
// One exec holds both (a background process ends with the exec that started it): the launcher
// starts on free ports against the episode's servers, the script waits for its "started" line
// (no sleep), asks the gateway for /health and /ready, and stops it as Ctrl-C does: SIGINT to
// the job's process group (`set -m` gives the background job a group of its own), so npm and the
// launcher both get it and the launcher stops every service before it exits.
// The task is one bug of a service that needs no other bug and fails no system test, so the
// platform itself can boot (with every bug present it cannot: that is the point of the full task).
// The reset grades the real suite once (minutes): runs only with DN_ENV_REAL_TARGET=1.
const enabled = process.env.DN_ENV_REAL_TARGET === '1';
const bootable = enabled
  ? activeBugs(await loadManifest(DEFAULT_MANIFEST_PATH)).find(
      (b) => (b.dependsOn ?? []).length === 0 && b.files.every((f) => f.startsWith('services/')) && !b.failToPass.some((id) => id.startsWith('system/')),
    )
  : undefined;
const skip = !enabled ? 'set DN_ENV_REAL_TARGET=1 to boot the real platform in an episode' : !bootable ? 'every active bug fails a system test' : false;

const SCRIPT = [
  'set -um',
  'GATEWAY_PORT=0 AUTH_PORT=0 ADMIN_PORT=0 npm start --silent > /tmp/start.log 2>&1 &',
  'launcher=$!',
  "timeout 120 grep -m1 -q '^started ' <(tail -n +1 -f /tmp/start.log) || { cat /tmp/start.log; exit 3; }",
  "gateway=$(sed -n 's/^gateway listening on //p' /tmp/start.log)",
  'curl -sf "$gateway/health"; echo',
  'curl -s -o /dev/null -w "ready %{http_code}\\n" "$gateway/ready"',
  'kill -INT -- -$launcher; wait $launcher',
  'tail -n 2 /tmp/start.log',
].join('\n');

describe('npm start inside an episode', { skip }, () => {
  let server: RunningServer;
  let client: EnvClient;
  let stateDir: string;
  before(async () => {
    stateDir = await tempDir('dn-env-start-');
    server = await serve({ port: 0, stateDir, cacheDir: path.join(DEFAULT_STATE_DIR, 'cache'), trajectoriesPath: ':memory:', logger: false });
    client = new EnvClient(server.url);
  });
  after(async () => {
    await server?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('an exec of npm start followed by curl reaches the gateway, and Ctrl-C stops the launcher cleanly', async () => {
    const { episodeId } = await client.reset({ task: `bug:${bootable!.id}` });
    const step = await client.step(episodeId, { type: 'exec', command: SCRIPT, timeoutMs: 180_000 });
    const obs = step.observation;
    assert.equal(obs.type, 'exec');
    if (obs.type !== 'exec') return;
    assert.equal(obs.exitCode, 0, `${obs.stdout}\n${obs.stderr}`);
    const lines = obs.stdout.trim().split('\n');
    assert.deepEqual(JSON.parse(lines[0]!), { status: 'ok', service: 'gateway' });
    assert.match(lines[1]!, /^ready (200|503)$/);
    assert.deepEqual(lines.slice(2), ['SIGINT: stopping', 'stopped']);
    await client.close(episodeId);
  });
});
