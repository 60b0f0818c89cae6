import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Defaults are anchored on the repository, not on the caller's cwd, so `npx datanexus-grader`
// behaves the same from any directory; every function also takes explicit paths.
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_TARGET_DIR = path.join(REPO_ROOT, 'target');
export const DEFAULT_MANIFEST_PATH = path.join(REPO_ROOT, 'bug-manifest', 'manifest.json');
export const SCHEMA_PATH = path.join(REPO_ROOT, 'bug-manifest', 'schema.json');

export function defaultFixesDir(manifestPath: string): string {
  return path.join(path.dirname(manifestPath), 'fixes');
}

export function resolveFrom(cwd: string, p: string): string {
  return path.resolve(cwd, p);
}
