import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GraderError } from './errors.ts';
import { hashTree } from './hash.ts';
import { loadManifest, type Manifest } from './manifest.ts';
import { materialize } from './materialize.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_TARGET_DIR, REPO_ROOT } from './paths.ts';
import { runSuite } from './run-suite.ts';
import type { CommandRunner, InfraError } from './types.ts';
import { GRADER_VERSION } from './version.ts';

/** What decides the list of tests: the test files, the jest config and the package file. */
export const INVENTORY_SOURCES = ['tests', 'jest.config.js', 'jest.config.cjs', 'jest.config.mjs', 'package.json'];

export interface InventoryOptions {
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  runner?: CommandRunner;
  /** Recompute even when the cache matches. */
  refresh?: boolean;
  /** node_modules linked into the temporary tree (default: the target's, else the repository target's). */
  nodeModulesDir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  preflight?: () => Promise<InfraError | undefined>;
  manifest?: Manifest;
}

export interface InventoryDetails {
  tests: string[];
  sourceHash: string;
  cached: boolean;
  file: string;
}

interface InventoryFile {
  graderVersion: string;
  sourceHash: string;
  count: number;
  tests: string[];
}

export function inventoryPath(manifestPath: string): string {
  return path.join(path.dirname(manifestPath), 'inventory.json');
}

export function defaultNodeModules(targetDir: string): string {
  const own = path.join(targetDir, 'node_modules');
  return existsSync(own) ? own : path.join(REPO_ROOT, 'target', 'node_modules');
}

export async function inventorySourceHash(targetDir: string): Promise<string> {
  return hashTree(targetDir, { include: INVENTORY_SOURCES });
}

async function readCache(file: string): Promise<InventoryFile | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as InventoryFile;
    if (typeof data.sourceHash !== 'string' || !Array.isArray(data.tests)) return undefined;
    return data;
  } catch {
    return undefined;
  }
}

/**
 * The expected test ids: what the pristine suite (every bug fixed) reports. Computed by
 * materializing `--bugs none` and running the whole suite once, then cached next to the manifest
 * (inventory.json) with the hash of the target's tests/, jest config and package.json; reused while
 * that hash and the grader version match. A test file that fails to load in the pristine tree makes
 * the list incomplete, so it is an error, not a smaller inventory.
 */
export async function inventoryDetails(opts: InventoryOptions = {}): Promise<InventoryDetails> {
  const targetDir = path.resolve(opts.targetDir ?? DEFAULT_TARGET_DIR);
  const manifestPath = path.resolve(opts.manifestPath ?? DEFAULT_MANIFEST_PATH);
  const file = inventoryPath(manifestPath);
  const sourceHash = await inventorySourceHash(targetDir);
  if (!opts.refresh) {
    const cached = await readCache(file);
    if (cached && cached.sourceHash === sourceHash && cached.graderVersion === GRADER_VERSION) {
      return { tests: cached.tests, sourceHash, cached: true, file };
    }
  }

  const manifest = opts.manifest ?? (await loadManifest(manifestPath));
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'datanexus-inventory-'));
  try {
    const { out } = await materialize({
      bugs: 'none',
      out: path.join(tmp, 'target'),
      targetDir,
      manifestPath,
      manifest,
      ...(opts.fixesDir ? { fixesDir: opts.fixesDir } : {}),
      linkNodeModules: opts.nodeModulesDir ?? defaultNodeModules(targetDir),
    });
    const run = await runSuite({
      dir: out,
      ...(opts.runner ? { runner: opts.runner } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.preflight ? { preflight: opts.preflight } : {}),
    });
    if (run.infraError) throw new GraderError('GRADER_ERR_INFRA', `could not run the pristine suite for the inventory: ${run.infraError.message}`, { details: run.infraError });
    if (run.timedOut) throw new GraderError('GRADER_ERR_INVENTORY', 'the pristine suite timed out: no inventory');
    const broken = brokenFiles(run.rawJestJson, out);
    if (broken.length > 0) {
      throw new GraderError('GRADER_ERR_INVENTORY', `test files fail to load in the pristine tree (every bug fixed), so their tests cannot be listed: ${broken.join(', ')}`, { details: { files: broken } });
    }
    const tests = run.results.tests.map((t) => t.id);
    const data: InventoryFile = { graderVersion: GRADER_VERSION, sourceHash, count: tests.length, tests };
    const tmpFile = `${file}.${process.pid}.tmp`;
    await writeFile(tmpFile, `${JSON.stringify(data, null, 2)}\n`);
    await rename(tmpFile, file);
    return { tests, sourceHash, cached: false, file };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function testInventory(opts: InventoryOptions = {}): Promise<string[]> {
  return (await inventoryDetails(opts)).tests;
}

function brokenFiles(json: unknown, dir: string): string[] {
  const files = (json as { testResults?: Array<{ name?: string; status?: string; assertionResults?: unknown[] }> } | undefined)?.testResults ?? [];
  return files
    .filter((f) => (f.assertionResults?.length ?? 0) === 0 && f.status === 'failed')
    .map((f) => path.relative(dir, f.name ?? '?'))
    .sort();
}
