import { mkdir } from 'node:fs/promises';
import { openResultsChannel, RESULTS_FD_ENV } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import type { SandboxLimits } from '../options.ts';
import { killAll, spawnContained } from './spawn.ts';
import { ensureNodeModulesLink, which } from './system.ts';
import { invert, mapEnv, mapPaths, sandboxCwd, sandboxToHost } from './translate.ts';
import type { LimitsInForce, SandboxBackend, SandboxResult, SandboxRun, UidLease } from './types.ts';

/**
 * UNSAFE, for development only: commands run as plain processes of the server's user, with the
 * whole host file system in reach. Only the process group, the timeout, rlimits and output caps
 * apply. Sandbox paths (/workspace, /data) are translated to the host directories behind them and
 * back in the output, so observations look the same as under bwrap.
 */
export class UnsafeProcessBackend implements SandboxBackend {
  readonly kind = 'unsafe-process' as const;
  readonly isolated = false;
  readonly description = 'UNSAFE plain processes (no isolation; development only)';
  readonly protectedNode = null;
  private prlimit: string | undefined;
  private closed = false;
  private readonly live = new Set<() => void>();

  constructor(private readonly limits: SandboxLimits) {}

  async check(): Promise<void> {
    this.prlimit = which('prlimit');
  }

  readonly limitsInForce: LimitsInForce = { memory: 'watchdog', processes: 'none', cpu: 'none', disk: 'watchdog' };

  leaseUid(): UidLease | null {
    return null;
  }

  async createWorkspace(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
  }

  async prepareWorkspace(): Promise<void> {
    // node_modules is linked at run time, when the shared directory is known.
  }

  async run(req: SandboxRun): Promise<SandboxResult> {
    if (this.closed) throw new EnvError('ENV_ERR_SHUTTING_DOWN', 'the sandbox backend is closed');
    if (req.nodeModules) await ensureNodeModulesLink(req.root, req.nodeModules);
    const toHost = sandboxToHost(req.root, req.mounts);
    const args = req.args.map((a) => mapPaths(a, toHost));
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...mapEnv(req.env, toHost) };
    const channel = req.resultsChannel ? openResultsChannel() : undefined;
    if (channel) env[RESULTS_FD_ENV] = '3';
    const cwd = mapPaths(sandboxCwd(req.cwd), toHost);
    const prefix = this.prlimit
      ? [this.prlimit, `--data=${this.limits.processMemoryBytes}`, `--fsize=${this.limits.maxFileBytes}`, '--core=0', '--']
      : [];
    const argv = [...prefix, mapPaths(req.command, toHost), ...args];
    const running = spawnContained({
      file: argv[0]!,
      args: argv.slice(1),
      cwd,
      env,
      timeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      outputKillBytes: req.outputKillBytes,
      input: req.input,
      signal: req.signal,
      treeMemoryBytes: this.limits.totalMemoryBytes,
      diskWatch: { dir: req.root, limitBytes: this.limits.workspaceBytes },
      live: this.live,
      ...(channel ? { extraFds: [channel.writeFd] } : {}),
    });
    channel?.spawned();
    let result: SandboxResult;
    try {
      result = await running;
      if (channel) result.results = mapPaths((await channel.collect(1000)).text, invert(toHost));
    } finally {
      channel?.close();
    }
    const toSandbox = invert(toHost);
    result.stdout.text = mapPaths(result.stdout.text, toSandbox);
    result.stderr.text = mapPaths(result.stderr.text, toSandbox);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    killAll(this.live);
  }
}
