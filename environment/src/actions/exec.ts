import { EnvError } from '../errors.ts';
import type { Exec } from '../schemas/actions.ts';
import type { ExecObs } from '../schemas/observations.ts';
import { truncateText } from '../sandbox/capture.ts';
import type { ActionContext } from './context.ts';

export async function execAction(ctx: ActionContext, action: Exec): Promise<ExecObs> {
  const timeoutMs = action.timeoutMs ?? ctx.options.execTimeoutMs;
  if (timeoutMs > ctx.options.maxExecTimeoutMs) {
    throw new EnvError('ENV_ERR_VALIDATION', `action.timeoutMs: expected at most ${ctx.options.maxExecTimeoutMs} (the server's limit), got ${timeoutMs}`);
  }
  const r = await ctx.backend.run({
    command: 'bash',
    args: ['-c', action.command],
    root: ctx.roots.root,
    env: ctx.env,
    timeoutMs,
    maxOutputBytes: ctx.options.maxOutputBytes,
    outputKillBytes: ctx.options.outputKillBytes,
    nodeModules: ctx.roots.nodeModules,
    mounts: ctx.mounts,
    ...(ctx.uid !== null ? { uid: ctx.uid } : {}),
    signal: ctx.signal,
  });
  const max = ctx.options.observationMaxChars;
  const out = truncateText(ctx.redact(r.stdout.text), max);
  const err = truncateText(ctx.redact(r.stderr.text), max);
  let stderr = err.text;
  if (r.killedBy === 'timeout') stderr += `\n[sandbox: killed after ${timeoutMs} ms, with every process it started]\n`;
  else if (r.killedBy === 'memory') stderr += '\n[sandbox: killed, the memory limit was exceeded]\n';
  else if (r.killedBy === 'output') stderr += '\n[sandbox: killed, the output limit was exceeded]\n';
  else if (r.killedBy === 'disk') stderr += `\n[sandbox: killed, the workspace grew past its disk limit of ${ctx.options.limits.workspaceBytes} bytes]\n`;
  return {
    type: 'exec',
    ok: r.exitCode === 0 && r.killedBy === null,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    killedBy: r.killedBy,
    stdout: out.text,
    stderr,
    stdoutTruncated: out.truncated || r.stdout.truncated,
    stderrTruncated: err.truncated || r.stderr.truncated,
  };
}
