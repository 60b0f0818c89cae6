import path from 'node:path';
import { GRADER_RUNTIME_DIR, type CommandRunner, type RunnerOutput } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import { SANDBOX_WORKSPACE } from '../paths.ts';
import { SANDBOX_GRADER_RUNTIME } from './sealed-run.ts';
import { invert, mapPaths, type PathMap } from './translate.ts';
import type { Mount, SandboxBackend } from './types.ts';

/** What the grader's runSuite passes through from the server's own environment. Nothing else leaks in. */
const PASSED_THROUGH = new Set(['CI', 'FORCE_COLOR', 'NO_COLOR', 'TZ']);

export interface SandboxRunnerOptions {
  backend: SandboxBackend;
  /** Host directory shown at /workspace; the runner's cwd must be it or inside it. */
  root: string;
  nodeModules: string | null;
  uid?: number;
  /** Extra mounts; a host path inside one may appear in arguments. */
  mounts?: Mount[];
  /** The sandbox's environment (namespace, DN_* server URLs, seed). */
  env: Record<string, string>;
  maxOutputBytes: number;
  outputKillBytes?: number;
  signal?: AbortSignal;
}

/**
 * The grader's CommandRunner over a sandbox. The grader speaks host paths; the sandbox shows the
 * tree at /workspace and the grader's runtime (the jest parent's entry) read-only at
 * /opt/dn-grader. Arguments go in translated, and output (stdout, stderr and the results channel)
 * comes back with host paths, so the grader's normalization sees the tree where it put it. A run
 * with a results channel runs node from the backend's execute-only copy, when it has one.
 */
export function sandboxRunner(o: SandboxRunnerOptions): CommandRunner {
  const root = path.resolve(o.root);
  const mounts: Mount[] = [...(o.mounts ?? []), { host: GRADER_RUNTIME_DIR, sandbox: SANDBOX_GRADER_RUNTIME, readOnly: true }];
  const toSandbox: PathMap = [[root, SANDBOX_WORKSPACE], ...mounts.map((m): [string, string] => [path.resolve(m.host), m.sandbox])];
  const toHost = invert(toSandbox);
  return async (cmd, args, opts): Promise<RunnerOutput> => {
    const cwd = path.resolve(opts.cwd);
    const rel = path.relative(root, cwd);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`sandbox runner: cwd ${cwd} is outside the sandboxed tree ${root}`);
    const env: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(opts.env)) if (PASSED_THROUGH.has(k)) env[k] = v;
    Object.assign(env, o.env);
    const node = opts.resultsChannel && o.backend.protectedNode ? o.backend.protectedNode : 'node';
    const command = cmd === process.execPath || cmd === 'node' ? node : mapPaths(cmd, toSandbox);
    const r = await o.backend.run({
      command,
      args: args.map((a) => mapPaths(a, toSandbox)),
      root,
      cwd: rel.split(path.sep).join('/'),
      env,
      timeoutMs: opts.timeoutMs,
      maxOutputBytes: opts.maxOutputBytes ?? o.maxOutputBytes,
      outputKillBytes: o.outputKillBytes,
      nodeModules: o.nodeModules,
      mounts,
      uid: o.uid,
      signal: o.signal,
      ...(opts.resultsChannel ? { resultsChannel: true } : {}),
    });
    // cancelled from outside (episode closed, server shutting down): not the code's doing, and no result
    if (r.killedBy === 'abort') throw new EnvError('ENV_ERR_INFRA', 'the run was cancelled');
    let stderr = mapPaths(r.stderr.text, toHost);
    // Memory or output blown by the code under test is the code's doing: reported like a timeout
    // (its tests come back missing), never as an infrastructure error.
    if (r.killedBy === 'memory' || r.killedBy === 'output' || r.killedBy === 'disk') stderr += `\n[sandbox: killed, ${r.killedBy} limit exceeded]\n`;
    return {
      exitCode: r.exitCode,
      stdout: mapPaths(r.stdout.text, toHost),
      stderr,
      timedOut: r.timedOut || r.killedBy === 'memory' || r.killedBy === 'output' || r.killedBy === 'disk',
      ...(r.results !== undefined ? { results: mapPaths(r.results, toHost) } : {}),
    };
  };
}
