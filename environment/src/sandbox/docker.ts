import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { openResultsChannel, RESULTS_FD_ENV, type ResultsChannel } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import { smokeRun } from './smoke-run.ts';
import type { SandboxLimits } from '../options.ts';
import { pidAlive } from '../util.ts';
import { CgroupManager } from './cgroup.ts';
import { ContainerCgroup, sweepElsewhere } from './container/container-cgroup.ts';
import { globalArgs, orphanContainers, podman, removeContainers } from './container/podman.ts';
import { CONTAINER_RESULTS_FD, podmanRunArgs } from './container/run-args.ts';
import { ensureProtectedNode, SANDBOX_PROTECTED_NODE } from './sealed-run.ts';
import { killAll, spawnContained } from './spawn.ts';
import { chownTree, ensureMountPoint, isRoot, which } from './system.ts';
import type { LimitsInForce, SandboxBackend, SandboxResult, SandboxRun, UidLease } from './types.ts';
import { UidPool } from './uid-pool.ts';
import { isCapped, WorkspaceFs } from './workspace-fs.ts';

export interface DockerOptions {
  image: string;
  limits: SandboxLimits;
  uidBase: number;
  uidCount: number;
  workRoot: string;
}

/**
 * The container backend (`--sandbox docker`): one fresh OCI container per run, started by
 * Podman as root (no daemon; docs/containers.md). It carries bubblewrap's defences (bwrap.ts):
 * - the principal's network: the container joins the principal's namespace (`--network ns:`),
 *   where only its gates listen; a run without a principal gets no network at all;
 * - results out of reach: the results FIFO's write end is passed as an fd (`--preserve-fds`,
 *   which no Docker API call can do: this is why the backend drives podman's CLI, not the
 *   socket), and the jest parent runs from the same execute-only node copy;
 * - limits: the server's per-run cgroup (memory, pids, cpu shares) is the container's cgroup
 *   parent, the bwrap rlimits are set as ulimits, the workspace is the same capped tmpfs, /tmp a
 *   capped tmpfs;
 * - no host paths: the image's root file system read-only, only the workspace, the dependencies,
 *   the grader's runtime and the node copy mounted; every capability dropped; a uid of its own.
 */
export class DockerBackend implements SandboxBackend {
  readonly kind = 'docker' as const;
  readonly isolated = true;
  readonly description: string;
  protectedNode: string | null = null;
  private readonly pool: UidPool;
  private readonly cgroups = new CgroupManager();
  private readonly workspaceFs = new WorkspaceFs();
  private readonly live = new Set<() => void>();
  private readonly pendingRemovals = new Set<Promise<void>>();
  private podmanBin = '';
  private hostNode = '';
  private seq = 0;
  private closed = false;

  constructor(private readonly opts: DockerOptions) {
    this.pool = new UidPool(opts.uidBase, opts.uidCount);
    this.description = `podman container per run (${opts.image}; runc; root file system read-only; workspace read-write; network: the principal's namespace, servers through its gates)`;
  }

  get limitsInForce(): LimitsInForce {
    const cg = this.cgroups.mode === 'cgroup-v1';
    return { memory: cg ? 'cgroup-v1' : 'docker', processes: cg ? 'cgroup-v1' : 'docker', cpu: cg ? 'cgroup-v1-shares' : 'docker', disk: this.workspaceFs.mode };
  }

  async check(): Promise<void> {
    const bin = which('podman');
    if (!bin) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', 'podman is not installed (bash scripts/containers.sh installs it and builds the images)');
    if (!isRoot()) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', 'the container backend runs podman as root (per-run uids, cgroups and network namespaces need it)');
    this.podmanBin = bin;
    const image = await podman(bin, ['image', 'exists', this.opts.image]);
    if (image.code !== 0) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', `the image ${this.opts.image} is not built here (bash scripts/containers.sh builds it; no registry is used)`);
    await mkdir(this.opts.workRoot, { recursive: true });
    await this.workspaceFs.check(this.opts.workRoot);
    await this.cgroups.sweep();
    sweepElsewhere(CGROUP_PARENT, (pid) => pid === process.pid || pidAlive(pid));
    await removeContainers(bin, await orphanContainers(bin, pidAlive));
    this.hostNode = ensureProtectedNode();
    this.protectedNode = SANDBOX_PROTECTED_NODE;

    // A smoke run proves the engine starts containers here with these settings.
    await smokeRun(this, this.opts.workRoot, { label: 'podman', cannot: 'podman cannot run a container on this host', timeoutMs: 60_000 });
  }

  leaseUid(): UidLease | null {
    return this.pool.lease();
  }

  async createWorkspace(dir: string): Promise<void> {
    await this.workspaceFs.create(dir, this.opts.limits.workspaceBytes);
  }

  async prepareWorkspace(dir: string, uid: number | null): Promise<void> {
    await ensureMountPoint(dir);
    if (uid !== null) await chownTree(dir, uid, uid);
  }

  async run(req: SandboxRun): Promise<SandboxResult> {
    if (this.closed) throw new EnvError('ENV_ERR_SHUTTING_DOWN', 'the sandbox backend is closed');
    if (!this.podmanBin) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', 'the docker backend was not checked before use');
    if (req.uid === undefined) throw new EnvError('ENV_ERR_INTERNAL', 'a container run needs a leased uid');
    const { limits } = this.opts;
    if (req.nodeModules) await ensureMountPoint(req.root);
    const name = `dn-${process.pid}-${++this.seq}`;
    const run = this.cgroups.create({ memoryBytes: limits.totalMemoryBytes, maxProcesses: limits.maxProcesses + MONITOR_PROCESSES });
    const cg = run ? new ContainerCgroup(run, limits.totalMemoryBytes) : null;
    const channel: ResultsChannel | undefined = req.resultsChannel ? openResultsChannel() : undefined;
    const args = podmanRunArgs(req, {
      image: this.opts.image, name, limits, protectedNode: this.hostNode, cgroupParent: cg?.parent ?? null,
      env: channel ? { [RESULTS_FD_ENV]: String(CONTAINER_RESULTS_FD) } : {},
    });
    try {
      const result = await this.spawnWithChannel(args, req, cg, channel);
      // A killed client leaves its container behind (stopped by killAll, still registered).
      if (result.killedBy !== null) await this.remove(name);
      if (cg && result.killedBy === null && cg.diedOfMemory(result.exitCode === 137 || result.signal === 'SIGKILL')) {
        result.killedBy = 'memory';
        result.signal = 'SIGKILL';
      }
      return result;
    } finally {
      await cg?.destroy();
    }
  }

  /** Runs podman with the channel's write end as its fd 3, closes the host's copy at once, collects what came over it. */
  private async spawnWithChannel(args: string[], req: SandboxRun, cg: ContainerCgroup | null, channel: ResultsChannel | undefined): Promise<SandboxResult> {
    try {
      let running: Promise<SandboxResult>;
      try {
        running = this.spawn(args, req, cg, channel);
      } finally {
        channel?.spawned();
      }
      const result = await running;
      if (channel) result.results = (await channel.collect(1000)).text;
      return result;
    } finally {
      channel?.close();
    }
  }

  private spawn(args: string[], req: SandboxRun, cg: ContainerCgroup | null, channel: ResultsChannel | undefined): Promise<SandboxResult> {
    const { limits } = this.opts;
    return spawnContained({
      file: this.podmanBin,
      args: [...globalArgs(), ...args],
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      outputKillBytes: req.outputKillBytes,
      input: req.input,
      signal: req.signal,
      ...(isCapped(req.root) ? {} : { diskWatch: { dir: req.root, limitBytes: limits.workspaceBytes } }),
      live: this.live,
      extraFds: channel ? [channel.writeFd] : [],
      ...(cg ? { watch: (kill) => watchOom(cg, kill), onKill: () => cg.killAll() } : {}),
    });
  }

  private async remove(name: string): Promise<void> {
    const p = removeContainers(this.podmanBin, [name]);
    this.pendingRemovals.add(p);
    try {
      await p;
    } finally {
      this.pendingRemovals.delete(p);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    killAll(this.live);
    await Promise.allSettled([...this.pendingRemovals]);
    if (this.podmanBin) await removeContainers(this.podmanBin, await orphanContainers(this.podmanBin, (pid) => pid !== process.pid && pidAlive(pid)));
    await this.cgroups.close();
    sweepElsewhere(CGROUP_PARENT, (pid) => pid !== process.pid && pidAlive(pid));
  }
}

/** The server's cgroup parent (cgroup.ts), which the runtime also makes in the other hierarchies. */
const CGROUP_PARENT = 'datanexus-gym';

/** conmon (the container's monitor) shares the run group: its process count is allowed on top. */
const MONITOR_PROCESSES = 4;

const OOM_CHECK_MS = 100;

/** Kills the run when the kernel OOM-killed any of its processes (the container stays up when a child dies). */
function watchOom(cg: ContainerCgroup, kill: (reason: 'memory') => void): () => void {
  const timer = setInterval(() => {
    if (cg.oomKilled()) {
      clearInterval(timer);
      kill('memory');
    }
  }, OOM_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
