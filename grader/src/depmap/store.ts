import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GraderError } from '../errors.ts';
import { hashTree } from '../hash.ts';
import { defaultNodeModules } from '../inventory.ts';
import { loadManifest, type Manifest } from '../manifest.ts';
import { materialize } from '../materialize.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_TARGET_DIR } from '../paths.ts';
import { runSuite } from '../run-suite.ts';
import { testPathOf } from '../results.ts';
import type { CommandRunner, FileDeps, InfraError, Results } from '../types.ts';
import { buildDepMap, parseDepMap, type DepMap } from './map.ts';
import { listTreeFiles } from './tree-changes.ts';

/** The all-fixed tree's map lives next to the inventory. */
export function depMapPath(manifestPath: string): string {
  return path.join(path.dirname(manifestPath), 'depmap.json');
}

/** The map stored in `file` when it was recorded on the tree with this hash; otherwise undefined (stale or absent). */
export async function readDepMap(file: string, treeHash: string): Promise<DepMap | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const map = parseDepMap(raw);
  return map && map.treeHash === treeHash ? map : undefined;
}

export async function writeDepMap(file: string, map: DepMap): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  // one line per test file keeps diffs of the committed map readable
  const body = Object.entries(map.files).map(([f, d]) => `    ${JSON.stringify(f)}: ${JSON.stringify(d)}`).join(',\n');
  const text = `{\n  "version": ${map.version},\n  "treeHash": ${JSON.stringify(map.treeHash)},\n  "dirs": ${JSON.stringify(map.dirs)},\n  "files": {\n${body}\n  }\n}\n`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export interface RecordOptions {
  runner?: CommandRunner;
  env?: Record<string, string>;
  timeoutMs?: number;
  preflight?: () => Promise<InfraError | undefined>;
}

/** Runs the whole suite of `dir` with the recorder and builds its map. Throws when the run brought no record. */
export async function recordDepMap(dir: string, opts: RecordOptions = {}): Promise<DepMap> {
  const treeHash = await hashTree(dir);
  const run = await runSuite({
    dir, recordDeps: true,
    ...(opts.runner ? { runner: opts.runner } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.preflight ? { preflight: opts.preflight } : {}),
  });
  if (run.infraError) throw new GraderError('GRADER_ERR_INFRA', `could not record the dependency map: ${run.infraError.message}`, { details: run.infraError });
  if (!run.deps || run.timedOut) throw new GraderError('GRADER_ERR_DEPMAP', `the recorded run of ${dir} brought no dependency record${run.timedOut ? ' (it timed out)' : ''}`);
  return buildDepMap(dir, treeHash, distrustUnpassed(run.deps, run.results));
}

/**
 * The all-fixed map is read as "what a passing test file reads". A file that did not pass while
 * recording (a flaky failure on a loaded machine, a beforeAll that timed out) stopped early and read
 * less than it reads when it passes: a change to what it missed would not select it, and its
 * failures would go unseen (on the pipeline tree a map recorded on a loaded machine had the golden
 * path reading no service code). Such a file is marked as depending on everything, so it is always
 * run; the rest of the map stays usable.
 */
export function distrustUnpassed(deps: Record<string, FileDeps>, results: Results): Record<string, FileDeps> {
  const unpassed = new Set(results.tests.filter((t) => t.status !== 'passed').map((t) => testPathOf(t.id)));
  const out: Record<string, FileDeps> = {};
  for (const [file, rec] of Object.entries(deps)) {
    out[file] = unpassed.has(file) && !rec.everything ? { ...rec, everything: 'not every test of it passed when the map was recorded' } : rec;
  }
  return out;
}

export interface AllFixedMapOptions extends RecordOptions {
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  nodeModulesDir?: string;
  /** Record again even when the stored map matches. */
  refresh?: boolean;
  /** Store a map recorded now (default true). */
  write?: boolean;
  /** The manifest already loaded from manifestPath. */
  manifest?: Manifest;
}

export interface AllFixedMap {
  map: DepMap;
  /** The stored map matched the all-fixed tree (false: it was recorded now). */
  cached: boolean;
  file: string;
  /** Every file of the all-fixed tree (node_modules left out): what a patch's changes are read against. */
  allFixedFiles: Set<string>;
}

/**
 * The all-fixed tree's map (what `affected`, `verify` and `discover` select from): the stored one
 * when it was recorded on the tree the target and fixes give today, else recorded now and stored
 * (unless `write` is false).
 */
export async function allFixedDepMap(opts: AllFixedMapOptions = {}): Promise<AllFixedMap> {
  const targetDir = path.resolve(opts.targetDir ?? DEFAULT_TARGET_DIR);
  const manifestPath = path.resolve(opts.manifestPath ?? DEFAULT_MANIFEST_PATH);
  const file = depMapPath(manifestPath);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'datanexus-depmap-'));
  try {
    const { out } = await materialize({
      bugs: 'none', out: path.join(tmp, 'target'), targetDir, manifestPath, manifest: opts.manifest ?? (await loadManifest(manifestPath)),
      ...(opts.fixesDir ? { fixesDir: opts.fixesDir } : {}),
      linkNodeModules: opts.nodeModulesDir ?? defaultNodeModules(targetDir),
    });
    const allFixedFiles = await listTreeFiles(out);
    const cached = opts.refresh ? undefined : await readDepMap(file, await hashTree(out));
    if (cached) return { map: cached, cached: true, file, allFixedFiles };
    const map = await recordDepMap(out, opts);
    if (opts.write !== false) await writeDepMap(file, map);
    return { map, cached: false, file, allFixedFiles };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
