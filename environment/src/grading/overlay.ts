import { cp, lstat, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { copyTree, listTree, sameFile } from '../workspace/tree.ts';

// Files the agent may edit in its workspace but that never reach a grade: the tests themselves,
// everything that configures how they run, and jest's automatic module mocks (a __mocks__ next to
// node_modules replaces a dependency in every test without a jest.mock call).
const PROTECTED_TOP_LEVEL = /^(jest\.config\.[cm]?[jt]s|jest\.config\.json|package\.json|package-lock\.json|npm-shrinkwrap\.json|\.npmrc|babel\.config\.[cm]?[jt]s|babel\.config\.json|\.babelrc(\.[cm]?js|\.json)?)$/;
const PROTECTED_ANYWHERE = new Set(['node_modules', '.git', '__mocks__']);

export function isProtected(rel: string): boolean {
  const parts = rel.split('/');
  if (parts[0] === 'tests') return true;
  if (parts.some((p) => PROTECTED_ANYWHERE.has(p))) return true;
  return parts.length === 1 && PROTECTED_TOP_LEVEL.test(parts[0]!);
}

export interface OverlayResult {
  /** Source changes taken from the workspace (added, modified or deleted). */
  taken: string[];
  /** Changes to protected files, left out of the grade. */
  ignored: string[];
}

/**
 * The tree a grade runs on: a fresh copy of the pristine task with the agent's source changes laid
 * over it. Protected files always come from the pristine copy, whatever the workspace holds.
 */
export async function buildGradeTree(pristine: string, workspace: string, out: string): Promise<OverlayResult> {
  await copyTree(pristine, out);
  const [ws, orig] = await Promise.all([listTree(workspace), listTree(pristine)]);
  const origSet = new Set(orig.map((e) => e.rel));
  const wsSet = new Set(ws.map((e) => e.rel));
  const taken: string[] = [];
  const ignored: string[] = [];

  for (const e of ws) {
    const inPristine = origSet.has(e.rel);
    const unchanged = inPristine && e.kind === 'file' && (await sameFile(path.join(workspace, e.rel), path.join(pristine, e.rel)));
    if (unchanged) continue;
    if (isProtected(e.rel)) {
      ignored.push(e.rel);
      continue;
    }
    const dst = path.join(out, e.rel);
    await mkdir(path.dirname(dst), { recursive: true });
    // an entry of the other kind (a file where the pristine had a link) is replaced, not merged
    if (await lstat(dst).catch(() => undefined)) await rm(dst, { recursive: true, force: true });
    await cp(path.join(workspace, e.rel), dst, { verbatimSymlinks: true, preserveTimestamps: false });
    taken.push(e.rel);
  }
  for (const e of orig) {
    if (wsSet.has(e.rel)) continue;
    if (isProtected(e.rel)) {
      ignored.push(e.rel);
      continue;
    }
    await rm(path.join(out, e.rel), { force: true });
    taken.push(e.rel);
  }
  return { taken: taken.sort(), ignored: ignored.sort() };
}
