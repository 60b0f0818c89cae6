import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ListFiles } from '../schemas/actions.ts';
import type { ListFilesObs } from '../schemas/observations.ts';
import { resolveWorkspacePath } from '../workspace/resolve.ts';
import { type ActionContext, obsError } from './context.ts';

const MAX_ENTRIES = 2000;
const NOT_ENTERED = new Set(['node_modules', '.git']);

/**
 * Recursive listing, sorted, directories with a trailing '/'. Inside the workspace, node_modules
 * (shared and huge) and .git are named but not entered; list node_modules/<pkg> to look inside.
 */
export async function listFilesAction(ctx: ActionContext, action: ListFiles): Promise<ListFilesObs> {
  const r = await resolveWorkspacePath(ctx.roots, action.path ?? '');
  const shown = r.rel === '' ? '.' : r.rel;
  const st = await (r.shared ? stat : lstat)(r.abs).catch(() => undefined);
  if (!st) return { type: 'list_files', ok: false, path: shown, error: obsError('not_found', `${shown} does not exist`) };
  if (!st.isDirectory()) return { type: 'list_files', ok: true, path: shown, entries: [shown], total: 1, truncated: false };

  const entries: string[] = [];
  let full = false;
  const walk = async (abs: string, rel: string): Promise<void> => {
    const dirents = await readdir(abs, { withFileTypes: true }).catch(() => []);
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      if (entries.length >= MAX_ENTRIES) {
        full = true;
        return;
      }
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      // the shared node_modules may be a mount point or a link, depending on the sandbox
      const isDir = d.isDirectory() || (rel === '' && d.name === 'node_modules');
      entries.push(isDir ? `${childRel}/` : childRel);
      if (d.isDirectory() && (r.shared || !NOT_ENTERED.has(d.name))) await walk(path.join(abs, d.name), childRel);
    }
  };
  await walk(r.abs, r.rel);
  const total = entries.length;
  if (full) entries.push(`[... truncated: more than ${MAX_ENTRIES} entries; list a subdirectory ...]`);
  return { type: 'list_files', ok: true, path: shown, entries, total, truncated: full };
}
