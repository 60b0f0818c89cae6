import { chmod, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { EnvError } from '../errors.ts';
import type { SandboxBackend } from './types.ts';

/**
 * A backend's check: one real run in a scratch workspace under `workRoot` that writes a file and
 * reads it back. A host that forbids what the backend needs (namespaces, containers) fails here,
 * at start, with `cannot` and what the run printed, instead of at an agent's first step.
 */
export async function smokeRun(backend: SandboxBackend, workRoot: string, o: { label: string; cannot: string; timeoutMs: number }): Promise<void> {
  const dir = await mkdtemp(path.join(workRoot, `.${o.label}-check-`));
  await chmod(dir, 0o755);
  const lease = backend.leaseUid();
  try {
    await backend.prepareWorkspace(dir, lease?.uid ?? null);
    const r = await backend.run({ command: 'sh', args: ['-c', 'echo ok > probe && cat probe'], root: dir, env: {}, timeoutMs: o.timeoutMs, maxOutputBytes: 4096, uid: lease?.uid });
    if (r.exitCode !== 0 || r.stdout.text.trim() !== 'ok') {
      throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', `${o.cannot} (exit ${r.exitCode}): ${r.stderr.text.trim().slice(0, 500)}`);
    }
  } finally {
    lease?.release();
    await rm(dir, { recursive: true, force: true });
  }
}
