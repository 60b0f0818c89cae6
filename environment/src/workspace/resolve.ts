import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { EnvError } from '../errors.ts';
import { SANDBOX_WORKSPACE } from '../paths.ts';

export interface WorkspaceRoots {
  /** Host directory of the workspace. */
  root: string;
  /** Host directory shown read-only at node_modules/, or null. */
  nodeModules: string | null;
}

export interface ResolvedPath {
  /** Normalized path relative to the workspace ('' for the workspace itself), forward slashes. */
  rel: string;
  /** Host path. */
  abs: string;
  /** Under node_modules/: read-only, served from the shared directory. */
  shared: boolean;
}

function outside(input: string, why: string): EnvError {
  return new EnvError('ENV_ERR_PATH_OUTSIDE_WORKSPACE', `path ${JSON.stringify(input)} ${why}; paths are relative to the workspace (${SANDBOX_WORKSPACE}), e.g. "src/index.js"`);
}

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/**
 * Checks a path an action names and returns where it is. Refused (ENV_ERR_PATH_OUTSIDE_WORKSPACE):
 * absolute paths other than /workspace/…, NUL bytes, ".." that climbs out, and paths whose
 * existing part resolves through a symlink to somewhere outside the workspace (or outside the
 * shared node_modules for paths under it). `forWrite` also refuses node_modules and symlinks.
 */
export async function resolveWorkspacePath(roots: WorkspaceRoots, input: string, opts: { forWrite?: boolean } = {}): Promise<ResolvedPath> {
  if (typeof input !== 'string') throw outside(String(input), 'is not a string');
  if (input.includes('\0')) throw outside(input, 'contains a NUL byte');
  let p = input.replace(/\\/g, '/');
  // The sandbox shows the workspace at /workspace; an agent that copies a path from a command's
  // output may use that absolute form, which names the same place.
  if (p === SANDBOX_WORKSPACE || p.startsWith(`${SANDBOX_WORKSPACE}/`)) p = p.slice(SANDBOX_WORKSPACE.length + 1);
  else if (p.startsWith('/')) throw outside(input, 'is absolute');
  else if (/^[A-Za-z]:/.test(p)) throw outside(input, 'is absolute');
  const norm = path.posix.normalize(p === '' ? '.' : p);
  if (norm === '..' || norm.startsWith('../')) throw outside(input, 'climbs out of the workspace with ".."');
  const rel = norm === '.' ? '' : norm.replace(/\/+$/, '');

  const first = rel.split('/')[0];
  const shared = first === 'node_modules';
  if (shared && opts.forWrite) throw outside(input, 'is under node_modules, which is shared read-only');
  if (shared && !roots.nodeModules) throw outside(input, 'is under node_modules, which this workspace does not have');
  if (first === '.git' && opts.forWrite) throw outside(input, 'is inside .git');

  const base = shared ? roots.nodeModules! : roots.root;
  const inner = shared ? rel.split('/').slice(1).join('/') : rel;
  const abs = inner === '' ? base : path.join(base, ...inner.split('/'));
  const baseReal = await realpath(base);

  // Resolve the longest existing prefix: a symlink anywhere along it must stay inside.
  let probe = abs;
  for (;;) {
    const st = await lstat(probe).catch(() => undefined);
    if (st) {
      if (opts.forWrite && probe === abs && st.isSymbolicLink()) throw outside(input, 'is a symlink; patches change regular files only');
      const real = await realpath(probe).catch(() => undefined);
      if (real === undefined) {
        // a dangling symlink: where it points is all that matters
        if (st.isSymbolicLink()) throw outside(input, 'is a symlink that points nowhere inside the workspace');
        break;
      }
      if (!isInside(real, baseReal)) throw outside(input, 'resolves through a symlink to a place outside the workspace');
      break;
    }
    const parent = path.dirname(probe);
    if (parent === probe || !isInside(parent, base)) break;
    probe = parent;
  }
  return { rel, abs, shared };
}
