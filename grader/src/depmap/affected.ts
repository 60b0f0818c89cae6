import path from 'node:path';
import type { FileDeps } from '../types.ts';
import type { DepMap } from './map.ts';

export type ChangeKind = 'added' | 'removed' | 'modified';

/** One changed path, relative to the tree. A rename is a removal and an addition. */
export interface Change {
  path: string;
  kind: ChangeKind;
}

export interface Affected {
  /** The test files whose results the changes can affect, sorted. */
  files: string[];
  /**
   * Set when the changes touch something the map cannot reason about (jest or package
   * configuration, node_modules): every test file is affected and a full run is needed.
   */
  everything?: string;
  /** Why each selected file was selected (first reason found). */
  reasons: Record<string, string>;
}

// Read by jest's parent (configuration, haste map) or by every resolution: not in any worker's record.
const UNREASONABLE = [/(^|\/)package(-lock)?\.json$/, /(^|\/)jest\.config\.[cm]?js(on)?$/, /(^|\/)\.?babel(rc|\.config\.[cm]?js(on)?)?$/, /(^|\/)\.babelrc(\.[cm]?js(on)?)?$/, /(^|\/)node_modules(\/|$)/];
const MODULE_LIKE = /\.(c|m)?js$|\.json$|\.node$/;

/** A path relative to the tree, '/'-separated, without './'; throws on a path outside it. */
export function normalizeChangedPath(p: string): string {
  const norm = path.posix.normalize(p.split(path.sep).join('/')).replace(/^\.\//, '').replace(/\/+$/, '');
  if (norm === '' || norm === '.' || norm.startsWith('../') || norm === '..' || path.posix.isAbsolute(norm)) {
    throw new Error(`changed path "${p}" is not inside the tree`);
  }
  return norm;
}

function parentOf(rel: string): string {
  const d = path.posix.dirname(rel);
  return d === '' ? '.' : d;
}

/**
 * Directories a file's resolution went through: a module at `a/b/c.js` could have been found as
 * `a/b/c`, `a/b/c.js` or `a/b/c/index.js` from a request for `a/b/c`, or through `a/b`'s
 * index: an entry added to `a/b` or to `a` can change what such a request loads.
 */
function resolvedDirs(deps: FileDeps): Set<string> {
  const dirs = new Set<string>(deps.listed);
  for (const r of deps.read) {
    const d = parentOf(r);
    dirs.add(d);
    if (MODULE_LIKE.test(r) && d !== '.') dirs.add(parentOf(d));
  }
  return dirs;
}

/** The directories an added or removed path changes the entries of: from its parent up to the first one the recorded tree had. */
function touchedDirs(rel: string, existing: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let d = parentOf(rel);
  for (;;) {
    out.push(d);
    if (existing.has(d) || d === '.') break;
    d = parentOf(d);
  }
  return out;
}

/** Why one test file is affected by one change, or undefined. */
function reasonFor(deps: FileDeps, dirs: () => Set<string>, change: Change, touched: string[]): string | undefined {
  if (deps.everything) return `depends on everything (${deps.everything})`;
  if (deps.read.includes(change.path)) return `${change.kind} ${change.path}, which it read`;
  if (deps.read.some((r) => r.startsWith(`${change.path}/`))) return `${change.kind} ${change.path}, under which it read files`;
  if (change.kind === 'modified') return undefined;
  const hit = touched.find((d) => dirs().has(d));
  return hit === undefined ? undefined : `${change.kind} ${change.path} in ${hit}, which it listed or resolved through`;
}

/**
 * The test files whose results `changes` can affect, from a map recorded on the tree the changes
 * apply to. A file is affected when it read a changed path (or probed an added one), when an entry
 * is added to or removed from a directory it listed or resolved a module through, or when it
 * depends on everything. When in doubt, more is selected, never less.
 */
export function affectedFiles(map: DepMap, changes: readonly Change[]): Affected {
  const all = Object.keys(map.files).sort();
  const norm = changes.map((c) => ({ kind: c.kind, path: normalizeChangedPath(c.path) }));
  const unreasonable = norm.find((c) => UNREASONABLE.some((re) => re.test(c.path)));
  if (unreasonable) {
    const why = `${unreasonable.kind} ${unreasonable.path}: configuration or packages, read outside the recorded workers`;
    return { files: all, everything: why, reasons: Object.fromEntries(all.map((f) => [f, why])) };
  }
  const existing = new Set(map.dirs);
  const reasons: Record<string, string> = {};
  for (const file of all) {
    const deps = map.files[file]!;
    let dirs: Set<string> | undefined;
    const lazyDirs = (): Set<string> => (dirs ??= resolvedDirs(deps));
    for (const change of norm) {
      const why = reasonFor(deps, lazyDirs, change, change.kind === 'modified' ? [] : touchedDirs(change.path, existing));
      if (why) {
        reasons[file] = why;
        break;
      }
    }
  }
  return { files: Object.keys(reasons).sort(), reasons };
}
