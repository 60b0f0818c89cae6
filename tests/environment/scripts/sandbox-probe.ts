// Run by launcher.test.ts in a child process (so DN_NATIVE_LAUNCHER is read fresh): starts a bwrap
// sandbox the way the server does and prints what a run inside sees, as JSON.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveOptions } from '../../../environment/src/options.ts';
import { createSandbox } from '../../../environment/src/sandbox/index.ts';
import { nativeLauncher } from '../../../environment/src/sandbox/native-launcher.ts';
import { removeTree } from '../../../environment/src/workspace/tree.ts';
import { tempDir } from '../fixtures.ts';

const stateDir = await tempDir('dn-probe-state-');
// a small memory cap, so a run that allocates past it shows that the kernel's cgroup stops it
const options = resolveOptions({ sandbox: 'bwrap', stateDir, limits: { totalMemoryBytes: 96 * 1024 * 1024 } });
const sb = createSandbox(options);
const ws = path.join(options.workRoot, 'probe', 'ws');
try {
  await sb.check();
  await sb.createWorkspace(ws);
  const lease = sb.leaseUid();
  await sb.prepareWorkspace(ws, lease?.uid ?? null);
  const r = await sb.run({
    command: 'sh', args: ['-c', 'echo made > made.txt; ulimit -c'],
    root: ws, env: {}, timeoutMs: 20_000, maxOutputBytes: 4096, ...(lease ? { uid: lease.uid } : {}),
  });
  const hog = await sb.run({
    command: 'node', args: ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));'],
    root: ws, env: {}, timeoutMs: 60_000, maxOutputBytes: 4096, ...(lease ? { uid: lease.uid } : {}),
  });
  lease?.release();
  // the host owner of what the run wrote is the uid it ran as
  const uid = String((await stat(path.join(ws, 'made.txt'))).uid);
  const expectedUid = String(lease?.uid);
  const [core] = r.stdout.text.trim().split('\n');
  process.stdout.write(JSON.stringify({ launcher: nativeLauncher(), disk: sb.limitsInForce.disk, exitCode: r.exitCode, uid: uid === expectedUid ? 'the leased uid' : `${uid}, not the leased ${expectedUid}`, core, hog: hog.killedBy }));
} finally {
  await sb.close();
  await removeTree(path.join(options.workRoot, 'probe'));
  await removeTree(stateDir);
}
