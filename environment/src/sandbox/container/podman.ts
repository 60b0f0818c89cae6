import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { which } from '../system.ts';

const exec = promisify(execFile);

/** The label every sandbox container carries: the pid of the server that started it (for the sweep). */
export const SERVER_LABEL = 'org.datanexus.env.server';

/**
 * The engine settings every podman call is made with, whatever the host's containers.conf says
 * (scripts/containers.sh explains them): runc, because crun refuses a hybrid cgroup v1 layout;
 * cgroupfs, because the run's cgroup parent is a path in the v1 hierarchies the server manages;
 * the file events backend, because there is no journald.
 */
export function globalArgs(): string[] {
  const args = ['--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  if (which('runc')) args.push('--runtime', 'runc');
  return args;
}

export interface PodmanOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** One podman command (not a sandboxed run: image checks, removals, the sweep). Never rejects. */
export async function podman(bin: string, args: string[], timeoutMs = 60_000): Promise<PodmanOutput> {
  try {
    const { stdout, stderr } = await exec(bin, [...globalArgs(), ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

/**
 * Force-removes containers by name or id (a killed run's container outlives its client). Right
 * after a kill the engine may still be recording the container as stopped and refuses ("state
 * improper"): it is asked again, a few times.
 */
export async function removeContainers(bin: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  for (let attempt = 1; attempt <= 10; attempt++) {
    const r = await podman(bin, ['rm', '--force', '--ignore', '--time', '0', ...names]);
    if (r.code === 0) return;
    await delay(50 * attempt);
  }
}

/** Containers left by servers that are gone (crashed, killed): their pids no longer run. */
export async function orphanContainers(bin: string, alive: (pid: number) => boolean): Promise<string[]> {
  const r = await podman(bin, ['ps', '--all', '--filter', `label=${SERVER_LABEL}`, '--format', `{{.ID}} {{index .Labels "${SERVER_LABEL}"}}`]);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').map((l) => l.trim().split(' ')).filter(([id, pid]) => id && pid && /^\d+$/.test(pid) && !alive(Number(pid))).map(([id]) => id!);
}
