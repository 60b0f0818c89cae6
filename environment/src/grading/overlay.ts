import { readlink, symlink } from 'node:fs/promises';
import path from 'node:path';
import { linkLeavesTree, makeRealParents, readRegularFile, removeEntry, replaceFile } from '../workspace/safe-fs.ts';
import { copyTree, listTree, sameFile, type TreeEntry } from '../workspace/tree.ts';

// Files the agent may edit in its workspace but that never reach a grade: the tests themselves,
// everything that configures how they run or how files are loaded (jest, babel and package
// configuration, at any depth: babel-jest reads file-relative configs), and jest's automatic
// module mocks (a __mocks__ next to node_modules replaces a dependency in every test without a
// jest.mock call).
const PROTECTED_NAME = /^(jest\.config\.[cm]?[jt]s|jest\.config\.json|package\.json|package-lock\.json|npm-shrinkwrap\.json|\.npmrc|babel\.config\.[cm]?[jt]s|babel\.config\.json|\.babelrc(\.[cm]?js|\.json)?)$/;
const PROTECTED_ANYWHERE = new Set(['node_modules', '.git', '__mocks__']);

export function isProtected(rel: string): boolean {
  const parts = rel.split('/');
  if (parts[0] === 'tests') return true;
  if (parts.some((p) => PROTECTED_ANYWHERE.has(p))) return true;
  return PROTECTED_NAME.test(parts[parts.length - 1]!);
}

export interface RefusedChange {
  path: string;
  reason: string;
}

export interface OverlayResult {
  /** Source changes taken from the workspace (added, modified or deleted). */
  taken: string[];
  /** Changes to protected files, left out of the grade. */
  ignored: string[];
  /** Changes the grade refused (the pristine version stays), with why. */
  refused: RefusedChange[];
}

const NESTED_NODE_MODULES = 'a node_modules inside the tree is not graded: dependencies come only from the shared, read-only node_modules';
const LEAVING_LINK = 'a symlink that is absolute or climbs out of the workspace is not graded';

/** Why a workspace entry cannot enter a grade, or undefined. */
async function refusal(workspace: string, e: TreeEntry): Promise<string | undefined> {
  if (e.kind === 'node_modules') return NESTED_NODE_MODULES;
  if (e.kind === 'symlink' && linkLeavesTree(e.rel, await readlink(path.join(workspace, e.rel)))) return LEAVING_LINK;
  return undefined;
}

/** Puts a workspace entry into the grade tree: a file is read without following links and written afresh. */
async function place(workspace: string, out: string, e: TreeEntry): Promise<void> {
  await makeRealParents(out, e.rel);
  await removeEntry(out, e.rel);
  const dst = path.join(out, e.rel);
  if (e.kind === 'symlink') await symlink(await readlink(path.join(workspace, e.rel)), dst);
  else {
    const { data, mode } = await readRegularFile(path.join(workspace, e.rel));
    await replaceFile(dst, data, mode & 0o777, null);
  }
}

/**
 * The tree a grade runs on: a fresh copy of the pristine task with the agent's source changes laid
 * over it. Protected files always come from the pristine copy, whatever the workspace holds; links
 * that leave the tree and nested node_modules are refused (listed with the reason), and nothing
 * here ever follows a link the agent planted.
 */
export async function buildGradeTree(pristine: string, workspace: string, out: string): Promise<OverlayResult> {
  await copyTree(pristine, out);
  const [ws, orig] = await Promise.all([listTree(workspace, { withNestedNodeModules: true }), listTree(pristine)]);
  const origSet = new Set(orig.map((e) => e.rel));
  const wsSet = new Set(ws.map((e) => e.rel));
  const result: OverlayResult = { taken: [], ignored: [], refused: [] };
  const refusedSet = new Set<string>();

  for (const e of ws) {
    const unchanged = origSet.has(e.rel) && e.kind === 'file' && (await sameFile(path.join(workspace, e.rel), path.join(pristine, e.rel)));
    if (unchanged) continue;
    if (e.kind !== 'node_modules' && isProtected(e.rel)) {
      result.ignored.push(e.rel);
      continue;
    }
    const reason = await refusal(workspace, e);
    if (reason) {
      result.refused.push({ path: e.rel, reason });
      refusedSet.add(e.rel);
      continue;
    }
    await place(workspace, out, e);
    result.taken.push(e.rel);
  }
  const underRefused = (rel: string): boolean => [...refusedSet].some((r) => rel.startsWith(`${r}/`));
  for (const e of orig) {
    if (wsSet.has(e.rel) || underRefused(e.rel)) continue;
    if (isProtected(e.rel)) {
      result.ignored.push(e.rel);
      continue;
    }
    await removeEntry(out, e.rel);
    result.taken.push(e.rel);
  }
  result.taken.sort();
  result.ignored.sort();
  return result;
}
