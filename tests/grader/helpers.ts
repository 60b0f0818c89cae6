import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Category, Results, TestResult, TestStatus } from '../../grader/src/index.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE_TARGET = path.join(REPO, 'tests', 'fixtures', 'mini-target');
export const FIXTURE_MANIFEST_DIR = path.join(REPO, 'tests', 'fixtures', 'mini-manifest');
export const FIXTURE_MANIFEST = path.join(FIXTURE_MANIFEST_DIR, 'manifest.json');
export const TARGET_NODE_MODULES = path.join(REPO, 'target', 'node_modules');
export const CLI = path.join(REPO, 'grader', 'bin', 'datanexus-grader.js');

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'grader-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A private copy of the fixture manifest directory (manifest, fixes), so tests that write
 * (inventory cache, validation records, reports) never touch the repository. The caches the
 * grader keeps next to a manifest (inventory, dependency map, reports) are left behind: a test
 * starts from the committed files, whatever an earlier run (a bench on the fixture) left there.
 */
export async function copyManifestDir(into: string): Promise<string> {
  const dir = path.join(into, 'mini-manifest');
  await cp(FIXTURE_MANIFEST_DIR, dir, { recursive: true, filter: (src) => !/inventory\.json$|depmap\.json$|verify-report/.test(src) });
  return path.join(dir, 'manifest.json');
}

/** A copy of the fixture target without its node_modules link. */
export async function copyTarget(into: string, name = 'mini-target'): Promise<string> {
  const dir = path.join(into, name);
  await cp(FIXTURE_TARGET, dir, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' });
  return dir;
}

/** n results of one category with the first `passed` passed and the rest `otherwise`. */
export function tests(category: Category, passed: number, total: number, otherwise: TestStatus = 'failed', prefix = 'f'): TestResult[] {
  const out: TestResult[] = [];
  for (let i = 0; i < total; i += 1) {
    out.push({ id: `${category}/${prefix}.test.js › t${String(i).padStart(6, '0')}`, category, status: i < passed ? 'passed' : otherwise });
  }
  return out;
}

export function results(...groups: TestResult[][]): Results {
  return { tests: groups.flat() };
}

/** What a jest parent sends on its results channel for this --json document (for fake runners). */
export function channelOf(jestJson: string): string {
  return `{"started":true}\n{"results":${jestJson}}\n`;
}
