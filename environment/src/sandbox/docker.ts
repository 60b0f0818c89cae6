import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { EnvError } from '../errors.ts';
import type { SandboxLimits } from '../options.ts';
import { SANDBOX_WORKSPACE } from '../paths.ts';
import { OutputCapture } from './capture.ts';
import { ensureMountPoint } from './system.ts';
import { sandboxCwd } from './translate.ts';
import { diskWatchdog } from './disk-watchdog.ts';
import type { KillReason, LimitsInForce, SandboxBackend, SandboxResult, SandboxRun, UidLease } from './types.ts';

type RuntimeClient = Awaited<ReturnType<typeof import('testcontainers')['getContainerRuntimeClient']>>;

export interface DockerOptions {
  image: string;
  limits: SandboxLimits;
}

const LABEL = 'org.datanexus.env.sandbox';

/**
 * One fresh container per run, through testcontainers' runtime client (it finds the engine the
 * same way testcontainers does: DOCKER_HOST, the socket, Docker Desktop, podman). The container
 * shares the host network (the target's tests need the servers on 127.0.0.1; on Docker Desktop
 * point the DN_* URLs at host.docker.internal instead), drops every capability, and gets the
 * engine's cgroup limits: memory (no swap), pids and a sized /tmp.
 */
export class DockerBackend implements SandboxBackend {
  readonly kind = 'docker' as const;
  readonly isolated = true;
  readonly description: string;
  // No execute-only runner and no results channel: `docker run` passes no extra fds, so a grading
  // run under docker brings no results (see docs/grading-integrity.md).
  readonly protectedNode = null;
  private client: RuntimeClient | undefined;
  private readonly running = new Map<string, () => Promise<void>>();
  private closed = false;

  constructor(private readonly opts: DockerOptions) {
    this.description = `docker container per run (${opts.image}; host network; caps dropped; memory and pids limits)`;
  }

  async check(): Promise<void> {
    let tc: typeof import('testcontainers');
    try {
      tc = await import('testcontainers');
      this.client = await tc.getContainerRuntimeClient();
    } catch (err) {
      throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', `no container engine answers (testcontainers: ${(err as Error).message})`, { cause: err });
    }
    const image = tc.ImageName.fromString(this.opts.image);
    if (!(await this.client.image.exists(image))) await this.client.image.pull(image);
  }

  // The engine enforces memory and processes per container; the workspace is a host bind mount, watched.
  readonly limitsInForce: LimitsInForce = { memory: 'docker', processes: 'docker', cpu: 'docker', disk: 'watchdog' };

  leaseUid(): UidLease | null {
    return null;
  }

  async createWorkspace(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
  }

  async prepareWorkspace(dir: string): Promise<void> {
    await ensureMountPoint(dir);
  }

  async run(req: SandboxRun): Promise<SandboxResult> {
    if (this.closed) throw new EnvError('ENV_ERR_SHUTTING_DOWN', 'the sandbox backend is closed');
    if (!this.client) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', 'the docker backend was not checked before use');
    const docker = this.client.container.dockerode;
    const { limits } = this.opts;
    const started = performance.now();
    if (req.nodeModules) await ensureMountPoint(req.root);

    // Input goes through a file: attaching stdin to a container is racy across engines.
    let inputDir: string | undefined;
    let cmd = [req.command, ...req.args];
    const binds = [`${req.root}:${SANDBOX_WORKSPACE}:rw`];
    if (req.nodeModules) binds.push(`${req.nodeModules}:${SANDBOX_WORKSPACE}/node_modules:ro`);
    for (const m of req.mounts ?? []) binds.push(`${m.host}:${m.sandbox}:${m.readOnly ? 'ro' : 'rw'}`);
    if (req.input !== undefined) {
      inputDir = await mkdtemp(path.join(os.tmpdir(), 'dn-docker-input-'));
      await writeFile(path.join(inputDir, 'stdin'), req.input);
      binds.push(`${inputDir}:/run/dn-input:ro`);
      cmd = ['sh', '-c', 'exec "$@" < /run/dn-input/stdin', 'sh', ...cmd];
    }
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...req.env };

    const container = await docker.createContainer({
      Image: this.opts.image,
      Cmd: cmd,
      WorkingDir: sandboxCwd(req.cwd),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABEL]: 'run' },
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: {
        Binds: binds,
        NetworkMode: 'host',
        Memory: limits.totalMemoryBytes,
        MemorySwap: limits.totalMemoryBytes,
        PidsLimit: limits.maxProcesses,
        Tmpfs: { '/tmp': `rw,size=${limits.tmpBytes}` },
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Ulimits: [{ Name: 'fsize', Soft: limits.maxFileBytes, Hard: limits.maxFileBytes }, { Name: 'core', Soft: 0, Hard: 0 }],
      },
    });
    const stdout = new OutputCapture(req.maxOutputBytes);
    const stderr = new OutputCapture(req.maxOutputBytes);
    const state: { killedBy: KillReason | null } = { killedBy: null };
    const kill = async (reason: KillReason): Promise<void> => {
      if (state.killedBy === null) state.killedBy = reason;
      await container.kill().catch(() => undefined);
    };
    this.running.set(container.id, () => kill('abort'));
    const onAbort = (): void => void kill('abort');
    req.signal?.addEventListener('abort', onAbort, { once: true });
    // The workspace is a bind mount: the engine's storage limits do not apply to it.
    const unwatchDisk = diskWatchdog.watch(req.root, limits.workspaceBytes, () => void kill('disk'));
    try {
      const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
      const out = new PassThrough();
      const err = new PassThrough();
      out.on('data', (c: Buffer) => stdout.push(c));
      err.on('data', (c: Buffer) => stderr.push(c));
      docker.modem.demuxStream(stream, out, err);
      const killBytes = req.outputKillBytes;
      if (killBytes !== undefined) {
        const check = (): void => void (stdout.bytes + stderr.bytes > killBytes && kill('output'));
        out.on('data', check);
        err.on('data', check);
      }
      await container.start();
      const timer = setTimeout(() => void kill('timeout'), req.timeoutMs);
      const waited = (await container.wait()) as { StatusCode: number };
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        if (stream.readableEnded) resolve();
        else {
          stream.once('end', () => resolve());
          setTimeout(resolve, 1000).unref();
        }
      });
      const info = await container.inspect();
      if (info.State.OOMKilled && state.killedBy === null) state.killedBy = 'memory';
      const killedBy = state.killedBy;
      return {
        exitCode: waited.StatusCode,
        signal: killedBy ? 'SIGKILL' : null,
        stdout: stdout.result(),
        stderr: stderr.result(),
        timedOut: killedBy === 'timeout',
        killedBy,
        durationMs: performance.now() - started,
      };
    } finally {
      unwatchDisk();
      req.signal?.removeEventListener('abort', onAbort);
      this.running.delete(container.id);
      await container.remove({ force: true }).catch(() => undefined);
      if (inputDir) await rm(inputDir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()].map((kill) => kill()));
  }
}
