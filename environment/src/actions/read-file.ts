import { lstat, realpath, stat } from 'node:fs/promises';
import type { ReadFile } from '../schemas/actions.ts';
import type { ReadFileObs } from '../schemas/observations.ts';
import { resolveWorkspacePath } from '../workspace/resolve.ts';
import { NotARegularFile, readRegularFile } from '../workspace/safe-fs.ts';
import { type ActionContext, obsError } from './context.ts';

const MAX_FILE_BYTES = 8 * 1024 * 1024;

export async function readFileAction(ctx: ActionContext, action: ReadFile): Promise<ReadFileObs> {
  const r = await resolveWorkspacePath(ctx.roots, action.path);
  const shown = r.rel === '' ? '.' : r.rel;
  const fail = (code: string, message: string): ReadFileObs => ({ type: 'read_file', ok: false, path: shown, error: obsError(code, message) });
  // the shared node_modules is ours and full of links; the workspace's links are never followed
  const st = await (r.shared ? stat : lstat)(r.abs).catch(() => undefined);
  if (!st) return fail('not_found', `${shown} does not exist`);
  if (st.isDirectory()) return fail('is_a_directory', `${shown} is a directory; list it with list_files`);
  if (st.isSymbolicLink()) return fail('not_a_file', `${shown} is a symlink; links are not followed, read the file it names`);
  if (!st.isFile()) return fail('not_a_file', `${shown} is not a regular file`);
  if (action.endLine !== undefined && action.startLine !== undefined && action.endLine < action.startLine) {
    return fail('invalid_option', `endLine (${action.endLine}) is before startLine (${action.startLine})`);
  }
  let buf: Buffer;
  try {
    buf = (await readRegularFile(r.shared ? await realpath(r.abs) : r.abs, MAX_FILE_BYTES)).data;
  } catch (err) {
    if (err instanceof NotARegularFile) return fail('not_a_file', `${shown} is not a regular file`);
    throw err;
  }
  if (buf.subarray(0, 8192).includes(0)) return fail('binary_file', `${shown} is a binary file`);
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const totalLines = text === '' ? 0 : lines.length;
  const start = action.startLine ?? 1;
  if (totalLines > 0 && start > totalLines) return fail('invalid_option', `startLine ${start} is past the end: ${shown} has ${totalLines} lines`);
  const end = Math.min(action.endLine ?? totalLines, totalLines);

  // Cut at a line boundary and say where to continue, so the agent can page through a big file.
  const budget = ctx.options.observationMaxChars;
  let used = 0;
  let last = start - 1;
  for (let i = start - 1; i < end; i += 1) {
    const len = lines[i]!.length + 1;
    if (used + len > budget && last >= start) break;
    used += len;
    last = i + 1;
    if (used > budget) break;
  }
  let content = lines.slice(start - 1, last).join('\n');
  if (last >= start) content += '\n';
  let truncated = false;
  if (content.length > budget) {
    content = content.slice(0, budget);
    truncated = true;
  }
  if (last < end) truncated = true;
  if (st.size > MAX_FILE_BYTES) truncated = true;
  if (truncated) {
    content += `\n[... truncated: showing lines ${start}-${last} of ${totalLines}${st.size > MAX_FILE_BYTES ? ` (only the first ${MAX_FILE_BYTES} bytes are readable)` : ''}; continue with startLine ${last + 1} ...]\n`;
  }
  return { type: 'read_file', ok: true, path: shown, content, startLine: start, endLine: last, totalLines, truncated };
}

