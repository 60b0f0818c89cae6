import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Defaults are anchored on the repository, not on the caller's cwd, so the server behaves the same
// from any directory; every one of them can be overridden by an option.
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(PACKAGE_ROOT, '..');
export const DEFAULT_TARGET_DIR = path.join(REPO_ROOT, 'target');
export const DEFAULT_MANIFEST_PATH = path.join(REPO_ROOT, 'bug-manifest', 'manifest.json');
export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, '.datanexus');
export const DEFAULT_NAMESPACE_MODULE = path.join(DEFAULT_TARGET_DIR, 'tests', 'support', 'namespace.js');

/** Where the sandbox shows the workspace; observations only ever name this path. */
export const SANDBOX_WORKSPACE = '/workspace';
/** Per-episode scratch directory (object store) inside the sandbox. */
export const SANDBOX_DATA = '/data';
