import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { EnvError } from '../errors.ts';
import { SANDBOX_WORKSPACE } from '../paths.ts';
import { linkLeavesTree } from './safe-fs.ts';

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
 * Inside the workspace (the agent's tree, handled by a root server) no link is followed on the
 * way: every directory component is lstat'ed and a symlink among them is refused. The last
 * component may be a link for reads (read_file then refuses it, list_files shows it), never for writes.
 */
async function checkNoLinkOnTheWay(input: string, base: string, inner: string, forWrite: boolean): Promise<void> {
  if (inner === '') return;
  const parts = inner.split('/');
  let p = base;
  for (const [i, part] of parts.entries()) {
    p = path.join(p, part);
    const st = await lstat(p).catch(() => undefined);
    if (!st) return; // the rest does not exist yet (a file a patch creates)
    const last = i === parts.length - 1;
    if (st.isSymbolicLink() && (!last || forWrite)) {
      throw outside(input, last ? 'is a symlink; patches change regular files only' : `goes through the symlink ${parts.slice(0, i + 1).join('/')}, which is not followed`);
    }
    if (last && st.isSymbolicLink()) {
      // shown, never followed; one that leads out or nowhere is refused outright
      const target = await readlink(p);
      if (linkLeavesTree(inner, target)) throw outside(input, 'is a symlink that leads outside the workspace');
      if (!(await lstat(path.join(base, path.posix.join(path.posix.dirname(inner), target))).catch(() => undefined))) {
        throw outside(input, 'is a symlink that points nowhere inside the workspace');
      }
    }
    if (!last && !st.isDirectory()) return; // a file used as a directory: the action reports not found
  }
}

/** The shared node_modules (ours, read-only) has links of its own: they must resolve inside it. */
async function checkSharedPath(input: string, base: string, abs: string): Promise<void> {
  const baseReal = await realpath(base);
  let probe = abs;
  for (;;) {
    const st = await lstat(probe).catch(() => undefined);
    if (st) {
      const real = await realpath(probe).catch(() => undefined);
      if (real === undefined) {
        if (st.isSymbolicLink()) throw outside(input, 'is a symlink that points nowhere inside the workspace');
        return;
      }
      if (!isInside(real, baseReal)) throw outside(input, 'resolves through a symlink to a place outside the workspace');
      return;
    }
    const parent = path.dirname(probe);
    if (parent === probe || !isInside(parent, base)) return;
    probe = parent;
  }
}

/**
 * Checks a path an action names and returns where it is. Refused (ENV_ERR_PATH_OUTSIDE_WORKSPACE):
 * absolute paths other than /workspace/…, NUL bytes, ".." that climbs out, paths that go through
 * a symlink inside the workspace, and, under the shared node_modules, paths that resolve outside it.
 * `forWrite` also refuses node_modules and symlinks.
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
  if (shared) await checkSharedPath(input, base, abs);
  else await checkNoLinkOnTheWay(input, base, inner, opts.forWrite === true);
  return { rel, abs, shared };
}
