import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { REPO } from './fixtures.ts';

// A principal's gates listen inside its own network namespace. The server's one `dn-netns serve`
// opens it; without the native programs, `ip` and a node child do the same, 20-30 times slower.
// Both ways must give the same namespace: listed by `ip netns`, only loopback, the gates
// reachable, the host not, a second open of the same name refused, and nothing left after delete.

const exec = promisify(execFile);
const asRoot = process.getuid?.() === 0;

async function probe(env: Record<string, string>, name = 'netns-probe.ts'): Promise<Record<string, unknown>> {
  const script = path.join(REPO, 'tests', 'environment', 'scripts', name);
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', script], { cwd: REPO, env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(stdout) as Record<string, unknown>;
}

function assertNamespace(seen: Record<string, unknown>, native: boolean): void {
  const { file, ...rest } = seen;
  assert.match(String(file), /^\/run\/netns\/dn-probe\d+$/);
  assert.deepEqual(rest, {
    native,
    listening: ['127.0.0.1:5432', '127.0.0.1:6379', '::1:5432'],
    listed: true,
    interfaces: 'lo',
    gate: 'gate 5432',
    hostPort: 'ECONNREFUSED',
    duplicate: 'refused',
    removed: true,
  });
}

describe('a principal\'s network namespace', { skip: asRoot ? false : 'only a root server makes network namespaces' }, () => {
  test('dn-netns serve opens it: loopback only, the gates reachable, the host not, removed by delete', async () => {
    assertNamespace(await probe({}), true);
  });

  test('dn-netns serve keeps concurrent opens apart and is started again after it was killed', async () => {
    const seen = await probe({}, 'netns-daemon-probe.ts');
    const pid = /probe(\d+)a/.exec(String((seen.answers as string[])[0]))?.[1];
    assert.deepEqual(seen, {
      // each namespace's port 5432 reaches the listener handed over for that namespace
      answers: ['a', 'b', 'c', 'd'].map((s) => `probe${pid}${s} 5432`),
      daemonsBefore: 1,
      daemonsAfter: 1,
      restarted: true,
      removed: true,
    });
  });

  test('without the native programs (DN_NATIVE_LAUNCHER=0), ip and a node child give the same namespace', async () => {
    assertNamespace(await probe({ DN_NATIVE_LAUNCHER: '0' }), false);
  });
});
