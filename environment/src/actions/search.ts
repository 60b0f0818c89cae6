import type { Search } from '../schemas/actions.ts';
import type { SearchObs } from '../schemas/observations.ts';
import { resolveWorkspacePath } from '../workspace/resolve.ts';
import { type ActionContext, obsError } from './context.ts';

const MAX_MATCHES = 200;
const MAX_LINE_CHARS = 400;
const SEARCH_TIMEOUT_MS = 30_000;

/**
 * grep -E, run inside the sandbox: the pattern is the agent's, so a pathological one costs the
 * sandbox's time budget, not the server's event loop. Matches are sorted (path, line) so the
 * result does not depend on directory order.
 */
export async function searchAction(ctx: ActionContext, action: Search): Promise<SearchObs> {
  const r = await resolveWorkspacePath(ctx.roots, action.path ?? '');
  const shown = r.rel === '' ? '.' : r.rel;
  const args = ['-rnIE', '--color=never'];
  if (!r.shared) args.push('--exclude-dir=node_modules', '--exclude-dir=.git');
  args.push('-e', action.pattern, '--', r.rel === '' ? '.' : r.rel);
  const run = await ctx.backend.run({
    command: 'grep',
    args,
    root: ctx.roots.root,
    env: ctx.env,
    timeoutMs: SEARCH_TIMEOUT_MS,
    maxOutputBytes: 4 * 1024 * 1024,
    outputKillBytes: 64 * 1024 * 1024,
    nodeModules: ctx.roots.nodeModules,
    mounts: ctx.mounts,
    ...(ctx.uid !== null ? { uid: ctx.uid } : {}),
    signal: ctx.signal,
  });
  const base = { type: 'search' as const, pattern: action.pattern, path: shown };
  if (run.killedBy === 'timeout') return { ...base, ok: false, error: obsError('timeout', `the search did not finish within ${SEARCH_TIMEOUT_MS / 1000} s; narrow the path or the pattern`) };
  if (run.exitCode === 2 && run.stdout.text === '') {
    const msg = run.stderr.text.trim().split('\n')[0] ?? 'grep failed';
    const code = /No such file/.test(msg) ? 'not_found' : 'invalid_pattern';
    return { ...base, ok: false, error: obsError(code, ctx.redact(msg.replace(/^grep: /, ''))) };
  }
  const matches: Array<{ path: string; line: number; text: string }> = [];
  for (const line of run.stdout.text.split('\n')) {
    const m = /^(.*?):(\d+):(.*)$/.exec(line);
    if (!m) continue;
    let text = ctx.redact(m[3]!);
    if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)}[... truncated ...]`;
    matches.push({ path: m[1]!.replace(/^\.\//, ''), line: Number(m[2]), text });
  }
  matches.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  const total = matches.length;
  const truncated = total > MAX_MATCHES || run.stdout.truncated;
  return { ...base, ok: true, matches: matches.slice(0, MAX_MATCHES), total, truncated };
}
