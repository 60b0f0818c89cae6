import { readFileSync } from 'node:fs';
import type { SandboxLimits } from '../../options.ts';
import { SANDBOX_WORKSPACE } from '../../paths.ts';
import { NETNS_MOUNT } from '../net/gates.ts';
import { SANDBOX_PROTECTED_NODE } from '../sealed-run.ts';
import { sandboxCwd } from '../translate.ts';
import type { SandboxRun } from '../types.ts';
import { SERVER_LABEL } from './podman.ts';

/** The results channel's fd inside the container: the first fd `--preserve-fds` passes. */
export const CONTAINER_RESULTS_FD = 3;

export interface RunContext {
  image: string;
  name: string;
  limits: SandboxLimits;
  /** Host path of the execute-only node copy, shown at SANDBOX_PROTECTED_NODE. */
  protectedNode: string;
  /** The run's cgroup parent, or null where the server manages no cgroups (then the engine's own caps). */
  cgroupParent: string | null;
  /** Extra environment (the results channel's fd). */
  env: Record<string, string>;
}

/**
 * The runtime sets a container's rlimits without the privilege to raise a hard limit where the
 * host withholds CAP_SYS_RESOURCE, so none may pass this process's own (runc fails with EPERM
 * otherwise); podman also lowers its monitor's process limit to 32768 (measured).
 */
const PODMAN_NPROC = 32_768;

function withinHard(resource: string, wanted: number): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(resource));
    const hard = line?.slice(resource.length).trim().split(/\s+/)[1];
    return hard === undefined || hard === 'unlimited' ? wanted : Math.min(wanted, Number(hard));
  } catch {
    return wanted;
  }
}

function ulimit(name: string, resource: string, wanted: number): string[] {
  const v = withinHard(resource, wanted);
  return ['--ulimit', `${name}=${v}:${v}`];
}

function bind(host: string, sandbox: string, readOnly: boolean): string[] {
  // --mount, not -v: a path with a colon cannot be misread as options
  return ['--mount', `type=bind,src=${host},dst=${sandbox}${readOnly ? ',ro=true' : ''}`];
}

/**
 * `podman run` arguments for one sandboxed run: the same view and caps as bubblewrap's (bwrap.ts).
 * The image's root file system read-only, a private size-capped /tmp, the workspace read-write at
 * /workspace, dependencies and mounts read-only; every capability dropped, no new privileges; the
 * run's own host uid; its own pid, ipc and uts namespaces; the network of the principal's
 * namespace (its gates on the servers' ports) or none; the cgroup caps of the server's run group,
 * the rlimits bwrap sets with prlimit.
 */
export function podmanRunArgs(req: SandboxRun, ctx: RunContext): string[] {
  const { limits } = ctx;
  const netns = (req.mounts ?? []).find((m) => m.sandbox === NETNS_MOUNT)?.host;
  const args = [
    'run', '--rm', '--name', ctx.name, '--label', `${SERVER_LABEL}=${process.pid}`, '--pull', 'never',
    '--log-driver', 'none',
    '--network', netns ? `ns:${netns}` : 'none',
    '--hostname', 'sandbox',
    '--cap-drop', 'all', '--security-opt', 'no-new-privileges',
    '--read-only', '--read-only-tmpfs=false',
    '--tmpfs', `/tmp:rw,size=${limits.tmpBytes},mode=1777,nosuid,nodev`,
    ...ulimit('nofile', 'Max open files', 65_536),
    ...ulimit('nproc', 'Max processes', Math.min(limits.maxProcesses, PODMAN_NPROC)),
    ...ulimit('data', 'Max data size', limits.processMemoryBytes),
    ...ulimit('fsize', 'Max file size', limits.maxFileBytes),
    '--ulimit', 'core=0:0',
  ];
  if (ctx.cgroupParent) args.push('--cgroup-parent', ctx.cgroupParent, '--pids-limit', '-1');
  else args.push('--memory', String(limits.totalMemoryBytes), '--memory-swap', String(limits.totalMemoryBytes), '--pids-limit', String(limits.maxProcesses));
  // named as under bwrap (`whoami` says sandbox, os.userInfo() works); podman fills in the uid
  if (req.uid !== undefined) args.push('--user', `${req.uid}:${req.uid}`, '--passwd-entry', 'sandbox:x:$UID:$GID:sandbox:/tmp:/bin/sh');
  if (req.input !== undefined) args.push('--interactive');
  if (req.resultsChannel) args.push('--preserve-fds', '1');
  args.push(...bind(req.root, SANDBOX_WORKSPACE, false));
  if (req.nodeModules) args.push(...bind(req.nodeModules, `${SANDBOX_WORKSPACE}/node_modules`, true));
  for (const m of req.mounts ?? []) {
    if (m.sandbox === NETNS_MOUNT) continue; // not a mount: the namespace the run joins (above)
    args.push(...bind(m.host, m.sandbox, m.readOnly));
  }
  args.push(...bind(ctx.protectedNode, SANDBOX_PROTECTED_NODE, true));
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...req.env, ...ctx.env };
  for (const [k, v] of Object.entries(env)) args.push('--env', `${k}=${v}`);
  args.push('--workdir', sandboxCwd(req.cwd), ctx.image, req.command, ...req.args);
  return args;
}
