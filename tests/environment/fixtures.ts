import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Light fixtures: importing this file does not load the server.

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The grader's mini target (three bugs: N1 unit, R1 chaos, X1 security) and its manifest. */
export const FIXTURE = Object.freeze({
  targetDir: path.join(REPO, 'tests', 'fixtures', 'mini-target'),
  manifestPath: path.join(REPO, 'tests', 'fixtures', 'mini-manifest', 'manifest.json'),
  nodeModulesDir: path.join(REPO, 'target', 'node_modules'),
});

export function fix(id: string): string {
  return readFileSync(path.join(path.dirname(FIXTURE.manifestPath), 'fixes', `${id}.patch`), 'utf8');
}

/** Suite results are keyed by content hash, so every test file may share them. */
export const SHARED_CACHE = path.join(os.tmpdir(), 'datanexus-env-tests-cache');

/** A temporary directory the sandbox uids can reach (mkdtemp makes 0700 ones). */
export async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(d, 0o755);
  return d;
}

export const hasBwrap = existsSync('/usr/bin/bwrap') || existsSync('/bin/bwrap');
