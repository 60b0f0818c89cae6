import path from 'node:path';
import { SANDBOX_WORKSPACE } from '../paths.ts';
import type { Mount } from './types.ts';

/** Pairs of (from, to) path prefixes; the longest `from` wins. */
export type PathMap = Array<[string, string]>;

/** Sandbox → host, for backends that run on the host's file system. */
export function sandboxToHost(root: string, mounts: readonly Mount[] = []): PathMap {
  return [[SANDBOX_WORKSPACE, root], ...mounts.map((m): [string, string] => [m.sandbox, m.host])];
}

export function invert(map: PathMap): PathMap {
  return map.map(([a, b]) => [b, a]);
}

/**
 * Rewrites every occurrence of a mapped directory in `text`, where it stands as a whole path
 * component (followed by '/', a quote, whitespace, ':' or the end), so /workspace2 is left alone.
 */
export function mapPaths(text: string, map: PathMap): string {
  if (map.length === 0 || text.length === 0) return text;
  const sorted = [...map].filter(([from]) => from.length > 1).sort((a, b) => b[0].length - a[0].length);
  if (sorted.length === 0) return text;
  const escaped = sorted.map(([from]) => from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(`(${escaped.join('|')})(?=$|[/\\s"':),\\]\\\\])`, 'g');
  const lookup = new Map(sorted);
  return text.replace(re, (m) => lookup.get(m) ?? m);
}

export function mapEnv(env: Record<string, string>, map: PathMap): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(env)) out[k] = mapPaths(v, map);
  return out;
}

/** The working directory inside /workspace, checked to stay there. */
export function sandboxCwd(rel: string | undefined): string {
  const joined = path.posix.join(SANDBOX_WORKSPACE, rel ?? '.');
  if (joined !== SANDBOX_WORKSPACE && !joined.startsWith(`${SANDBOX_WORKSPACE}/`)) return SANDBOX_WORKSPACE;
  return joined;
}
