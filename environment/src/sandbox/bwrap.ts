import { lstatSync, readlinkSync } from 'node:fs';
import { RESULTS_FD_ENV } from '@datanexus/grader';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EnvError } from '../errors.ts';
import { smokeRun } from './smoke-run.ts';
import type { SandboxLimits } from '../options.ts';
import { SANDBOX_WORKSPACE } from '../paths.ts';
import { CgroupManager, type RunCgroup } from './cgroup.ts';
import { HostAliases, reachableByOthers } from './host-aliases.ts';
import { launchArgv, nativeLauncher } from './native-launcher.ts';
import { NETNS_MOUNT } from './net/gates.ts';
import { BWRAP_ARGS_FD, BWRAP_DATA_FDS, ensureProtectedNode, SANDBOX_PROTECTED_NODE, SANDBOX_RESULTS_FD, spawnWithFds } from './sealed-run.ts';
import { killAll, spawnContained } from './spawn.ts';
import { chownTree, ensureMountPoint, isRoot, which } from './system.ts';
import { sandboxCwd } from './translate.ts';
import type { LimitsInForce, SandboxBackend, SandboxResult, SandboxRun, UidLease } from './types.ts';
import { UidPool } from './uid-pool.ts';
import { isCapped, WorkspaceFs } from './workspace-fs.ts';

// The sandbox's own identity: fixed, so `id` or `ls -l` print the same thing in every episode.
const INNER_UID = '1000';

// Only what a Node toolchain needs from /etc; the rest of it (and everything outside /usr) stays
// out of sight. passwd and group are our own, naming the sandbox user.
const ETC_FILES = [
  'hosts', 'resolv.conf', 'nsswitch.conf', 'host.conf', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d',
  'alternatives', 'ssl', 'ca-certificates', 'ca-certificates.conf', 'localtime', 'timezone', 'os-release', 'mime.types',
];
const PASSWD = 'root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:1000:1000:sandbox:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n';

export interface BwrapOptions {
  limits: SandboxLimits;
  uidBase: number;
  uidCount: number;
  /** Where workspaces live; every sandbox uid must be able to reach it (checked at boot). */
  workRoot: string;
}

/**
 * bubblewrap: new user, pid, ipc and uts namespaces; the system read-only (/usr and a few /etc
 * files), a private /tmp, the workspace read-write at /workspace, node_modules read-only; nothing
 * of the repository. Started as root, every run is in a network namespace without the host: a
 * run given a principal (a "mount" at NETNS_MOUNT naming its namespace) joins that namespace,
 * where the principal's gates listen on the servers' ports; any other run gets an empty one
 * (loopback only). Not root: the host network is shared (docs/isolation.md).
 *
 * Started as root, every run first joins a cgroup of its own (kernel-enforced memory, process and
 * fair CPU caps; cgroup.ts), then drops to a host uid of its own (setpriv), so bwrap runs
 * unprivileged and no capability reaches the sandbox; every workspace is a size-capped tmpfs
 * (workspace-fs.ts). Read-only sources the sandbox uids cannot reach (a clone in root's home) are
 * shown through bind-mounted aliases (host-aliases.ts).
 */
export class BwrapBackend implements SandboxBackend {
  readonly kind = 'bwrap' as const;
  readonly isolated = true;
  readonly description = 'bubblewrap (namespaces; system read-only; workspace read-write; private /tmp; network: the principal\'s namespace, servers through its gates)';
  private readonly pool: UidPool;
  private readonly root = isRoot();
  private bwrap = '';
  private setpriv: string | undefined;
  private nsenter: string | undefined;
  private prlimit: string | undefined;
  private systemArgs: string[] = [];
  private closed = false;
  private readonly live = new Set<() => void>();
  protectedNode: string | null = null;
  readonly cgroups = new CgroupManager();
  readonly workspaceFs = new WorkspaceFs();
  private readonly aliases: HostAliases;

  constructor(private readonly opts: BwrapOptions) {
    this.pool = new UidPool(opts.uidBase, opts.uidCount);
    this.aliases = new HostAliases(path.join(opts.workRoot, '.host'));
  }

  get limitsInForce(): LimitsInForce {
    const cg = this.cgroups.mode === 'cgroup-v1';
    return {
      memory: cg ? 'cgroup-v1' : 'watchdog',
      processes: cg ? 'cgroup-v1' : this.root ? 'rlimit-per-uid' : 'none',
      cpu: cg ? 'cgroup-v1-shares' : 'none',
      disk: this.workspaceFs.mode,
    };
  }

  async createWorkspace(dir: string): Promise<void> {
    await this.workspaceFs.create(dir, this.opts.limits.workspaceBytes);
  }

  async check(): Promise<void> {
    const bwrap = which('bwrap');
    if (!bwrap) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', 'bubblewrap is not installed (apt-get install bubblewrap, or `npm run infra`); for development only, --sandbox unsafe-process runs commands unsandboxed');
    this.bwrap = bwrap;
    this.prlimit = which('prlimit');
    if (this.root) {
      this.setpriv = which('setpriv');
      this.nsenter = which('nsenter');
      if (!this.setpriv || !this.nsenter) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', 'running as root, the bwrap sandbox drops to a per-sandbox uid with setpriv and joins network namespaces with nsenter (util-linux), which is not installed');
    }
    await mkdir(this.opts.workRoot, { recursive: true });
    if (this.root && !reachableByOthers(path.join(this.opts.workRoot, 'x'))) {
      throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', `the sandbox uids cannot reach the workspaces under ${this.opts.workRoot}: a directory above it is not searchable by others (choose another --work-root)`);
    }
    if (this.root) nativeLauncher(); // built (once per source) before the first run needs it
    await this.workspaceFs.check(this.opts.workRoot);
    await this.cgroups.sweep();
    this.systemArgs = systemMounts();
    const prefix = nodePrefix();
    if (prefix) this.systemArgs.push('--ro-bind', await this.aliases.readOnly(prefix), '/opt/node');
    // the grader's jest parent runs from an execute-only node (sealed-run.ts)
    this.systemArgs.push('--ro-bind', await this.aliases.readOnly(ensureProtectedNode()), SANDBOX_PROTECTED_NODE);
    this.protectedNode = SANDBOX_PROTECTED_NODE;

    // A smoke run proves namespaces are allowed here (some container runtimes forbid them).
    await smokeRun(this, this.opts.workRoot, { label: 'bwrap', cannot: 'bubblewrap cannot create a sandbox on this host', timeoutMs: 15_000 });
  }

  leaseUid(): UidLease | null {
    return this.root ? this.pool.lease() : null;
  }

  async prepareWorkspace(dir: string, uid: number | null): Promise<void> {
    await ensureMountPoint(dir);
    if (uid !== null) await chownTree(dir, uid, uid);
  }

  async run(req: SandboxRun): Promise<SandboxResult> {
    if (this.closed) throw new EnvError('ENV_ERR_SHUTTING_DOWN', 'the sandbox backend is closed');
    if (!this.bwrap) throw new EnvError('ENV_ERR_SANDBOX_UNAVAILABLE', 'the bwrap backend was not checked before use');
    if (this.root && req.uid === undefined) throw new EnvError('ENV_ERR_INTERNAL', 'a bwrap run as root needs a leased uid');
    const { limits } = this.opts;
    if (req.nodeModules) await ensureMountPoint(req.root);

    const netns = (req.mounts ?? []).find((m) => m.sandbox === NETNS_MOUNT)?.host;
    const inner: string[] = [
      '--unshare-user', '--uid', INNER_UID, '--gid', INNER_UID,
      '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
      ...(this.root && !netns ? ['--unshare-net'] : []),
      '--hostname', 'sandbox',
      '--disable-userns',
      '--die-with-parent', '--new-session',
      ...this.systemArgs,
      '--proc', '/proc', '--dev', '/dev',
      '--size', String(limits.tmpBytes), '--tmpfs', '/tmp',
      '--bind', req.root, SANDBOX_WORKSPACE,
    ];
    if (req.nodeModules) inner.push('--ro-bind', await this.aliases.readOnly(req.nodeModules), `${SANDBOX_WORKSPACE}/node_modules`);
    for (const m of req.mounts ?? []) {
      if (m.sandbox === NETNS_MOUNT) continue; // not a mount: the namespace the run joins (above)
      inner.push(m.readOnly ? '--ro-bind' : '--bind', m.readOnly ? await this.aliases.readOnly(m.host) : m.host, m.sandbox);
    }
    inner.push('--chdir', sandboxCwd(req.cwd), '--clearenv');
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...nodePathEnv(), ...req.env, ...(req.resultsChannel ? { [RESULTS_FD_ENV]: String(SANDBOX_RESULTS_FD) } : {}) };
    for (const [k, v] of Object.entries(env)) inner.push('--setenv', k, v);
    // bwrap reads everything but the command from an fd: /proc/1/cmdline in the sandbox names no host path
    const bwrapArgs = ['--args', String(BWRAP_ARGS_FD), '--', req.command, ...req.args];
    return spawnWithFds({ args: inner, data: [PASSWD, GROUP], resultsChannel: req.resultsChannel === true }, (fds) => this.spawn(bwrapArgs, netns, req, fds));
  }

  /** The rlimits of every run (the pids cgroup caps processes too; per-uid counting needs a uid of its own). */
  private rlimits(): Record<string, number> {
    const { limits } = this.opts;
    return { data: limits.processMemoryBytes, fsize: limits.maxFileBytes, core: 0, ...(this.root ? { nproc: limits.maxProcesses } : {}) };
  }

  /**
   * How bwrap is started. As root: into the run's cgroups, then the principal's network namespace
   * (while still root), then the rlimits, then down to the run's uid. dn-launch does all of it in
   * one process start; otherwise sh, nsenter, setpriv and prlimit do it in turn.
   */
  private startArgv(bwrapArgs: string[], netns: string | undefined, uid: number | undefined, cgroup: RunCgroup | null): { file: string; args: string[]; joinsCgroup: boolean } {
    const launcher = this.root ? nativeLauncher() : null;
    if (launcher) {
      const a = launchArgv(launcher, { cgroupProcs: cgroup?.procsFiles ?? [], ...(netns ? { netns } : {}), rlimits: this.rlimits(), ...(uid !== undefined ? { uid } : {}), file: this.bwrap, args: bwrapArgs });
      return { ...a, joinsCgroup: true };
    }
    const argv: string[] = [];
    if (this.root && netns) argv.push(this.nsenter!, `--net=${netns}`, '--');
    if (this.root) argv.push(this.setpriv!, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--');
    if (this.prlimit) argv.push(this.prlimit, ...Object.entries(this.rlimits()).map(([k, v]) => `--${k}=${v}`), '--');
    argv.push(this.bwrap, ...bwrapArgs);
    return { file: argv[0]!, args: argv.slice(1), joinsCgroup: false };
  }

  private spawn(bwrapArgs: string[], netns: string | undefined, req: SandboxRun, extraFds: number[]): Promise<SandboxResult> {
    const { limits } = this.opts;
    const cgroup = this.cgroups.create({ memoryBytes: limits.totalMemoryBytes, maxProcesses: limits.maxProcesses });
    const start = this.startArgv(bwrapArgs, netns, req.uid, cgroup);
    return spawnContained({
      file: start.file,
      args: start.args,
      joinsCgroup: start.joinsCgroup,
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      outputKillBytes: req.outputKillBytes,
      input: req.input,
      signal: req.signal,
      cgroup,
      treeMemoryBytes: limits.totalMemoryBytes,
      ...(isCapped(req.root) ? {} : { diskWatch: { dir: req.root, limitBytes: limits.workspaceBytes } }),
      live: this.live,
      extraFds,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    killAll(this.live);
    await this.cgroups.close();
    await this.aliases.close();
  }
}

/** Where the running node lives when it is not under /usr (nvm, a tarball): shown read-only at /opt/node. */
function nodePrefix(): string | undefined {
  const prefix = path.dirname(path.dirname(process.execPath));
  return prefix === '/usr' || prefix.startsWith('/usr/') ? undefined : prefix;
}

function nodePathEnv(): Record<string, string> {
  const prefix = nodePrefix();
  return prefix ? { PATH: '/opt/node/bin:/usr/local/bin:/usr/bin:/bin' } : {};
}

function systemMounts(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  // Merged-/usr systems have these as symlinks into /usr; older ones as directories.
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let st;
    try {
      st = lstatSync(top);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else if (st.isDirectory()) args.push('--ro-bind', top, top);
  }
  for (const f of ETC_FILES) args.push('--ro-bind-try', `/etc/${f}`, `/etc/${f}`);
  args.push('--ro-bind-data', String(BWRAP_DATA_FDS[0]), '/etc/passwd', '--ro-bind-data', String(BWRAP_DATA_FDS[1]), '/etc/group');
  return args;
}
