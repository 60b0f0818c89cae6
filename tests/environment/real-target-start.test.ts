import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EnvClient } from '../../environment/src/client/client.ts';
import { DEFAULT_STATE_DIR } from '../../environment/src/paths.ts';
import { serve, type RunningServer } from '../../environment/src/server.ts';
import { tempDir } from './fixtures.ts';

// What an agent does first in an episode: `npm start` in the workspace, then curl the gateway.
// One exec holds both (a background process ends with the exec that started it): the launcher
// starts on free ports against the episode's servers, the script waits for its "started" line
// (no sleep), asks the gateway for /health and /ready, and stops it with SIGTERM.
// The reset grades the real suite once (minutes): runs only with DN_ENV_REAL_TARGET=1.
const skip = process.env.DN_ENV_REAL_TARGET === '1' ? false : 'set DN_ENV_REAL_TARGET=1 to boot the real platform in an episode';

const SCRIPT = [
  'set -u',
  'GATEWAY_PORT=0 AUTH_PORT=0 ADMIN_PORT=0 npm start --silent > /tmp/start.log 2>&1 &',
  'launcher=$!',
  "timeout 120 grep -m1 -q '^started ' <(tail -n +1 -f /tmp/start.log) || { cat /tmp/start.log; exit 3; }",
  "gateway=$(sed -n 's/^gateway listening on //p' /tmp/start.log)",
  'curl -sf "$gateway/health"; echo',
  'curl -s -o /dev/null -w "ready %{http_code}\\n" "$gateway/ready"',
  'kill -TERM $launcher; wait $launcher; echo "launcher exit $?"',
  'tail -n 1 /tmp/start.log',
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

  test('an exec of npm start followed by curl reaches the gateway, and the launcher stops cleanly', async () => {
    const { episodeId } = await client.reset({ task: 'full' });
    const step = await client.step(episodeId, { type: 'exec', command: SCRIPT, timeoutMs: 180_000 });
    const obs = step.observation;
    assert.equal(obs.type, 'exec');
    if (obs.type !== 'exec') return;
    assert.equal(obs.exitCode, 0, `${obs.stdout}\n${obs.stderr}`);
    const lines = obs.stdout.trim().split('\n');
    assert.deepEqual(JSON.parse(lines[0]!), { status: 'ok', service: 'gateway' });
    assert.match(lines[1]!, /^ready (200|503)$/);
    assert.deepEqual(lines.slice(2), ['launcher exit 0', 'stopped']);
    await client.close(episodeId);
  });
});
