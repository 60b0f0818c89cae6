import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { GraderError } from '../errors.ts';
import { defaultNodeModules, inventoryDetails } from '../inventory.ts';
import { activeBugs, loadManifest, readJsonFile, selectBugs, validateManifest } from '../manifest.ts';
import { materialize, snapshotTarget } from '../materialize.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_TARGET_DIR, defaultFixesDir } from '../paths.ts';
import type { ProgressFn } from '../progress.ts';
import { runSuite } from '../run-suite.ts';
import type { CommandRunner, InfraError } from '../types.ts';
import { type CommandOutcome, type CommonOptions, parseBugList, preflightFor, resolveOpt } from './shared.ts';

// `discover`: finds each bug's failToPass empirically, the way verify checks it. For every bug the
// tree with only that bug present (the shipped target plus every other fix) runs the whole suite,
// k times; the tests that do not pass in it are its failToPass. The lists of all k runs must agree
// (a test that fails in some runs only is flaky, and verify would reject it), and a bug must fail
// at least one test. With --write, agreed lists replace the entries' failToPass in the manifest.

export interface DiscoverOptions {
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  /** Only these bugs (default: every active bug). */
  bugs?: string[];
  /** Suite runs per bug (default 1); every run must give the same list. */
  repeat?: number;
  /** Write the lists into the manifest (default false: report only). */
  write?: boolean;
  runner?: CommandRunner;
  env?: Record<string, string>;
  timeoutMs?: number;
  nodeModulesDir?: string;
  preflight?: () => Promise<InfraError | undefined>;
  progress?: ProgressFn;
}

export interface DiscoveredBug {
  id: string;
  /** The tests that did not pass with only this bug present (sorted); the first run's when runs disagree. */
  failToPass: string[];
  /** What the manifest recorded before. */
  previous: string[];
  added: string[];
  removed: string[];
  /** Every run gave the same list. */
  stable: boolean;
  /** Tests that failed in some runs and passed in others. */
  unstable: string[];
  timedOut: boolean;
  /** Usable: stable, not timed out, at least one test. */
  ok: boolean;
  written: boolean;
  problems: string[];
}

export interface DiscoverReport {
  ok: boolean;
  manifest: string;
  inventorySize: number;
  repeat: number;
  written: boolean;
  bugs: DiscoveredBug[];
  durationMs: number;
}

function sorted(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort();
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Runs the suite once (or k times) per bug with only that bug present and reports the tests that
 * do not pass. With `write`, the usable lists go into the manifest (re-read at write time, only the
 * named entries' failToPass change; a changed list drops the entry's stale `validation`).
 */
export async function discover(opts: DiscoverOptions = {}): Promise<DiscoverReport> {
  const started = performance.now();
  const repeat = opts.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new GraderError('GRADER_ERR_INVALID_OPTION', `repeat must be an integer ≥ 1, got ${String(opts.repeat)}`);
  const liveTargetDir = path.resolve(opts.targetDir ?? DEFAULT_TARGET_DIR);
  const manifestPath = path.resolve(opts.manifestPath ?? DEFAULT_MANIFEST_PATH);
  const fixesDir = path.resolve(opts.fixesDir ?? defaultFixesDir(manifestPath));
  const manifest = await loadManifest(manifestPath);
  const selected = opts.bugs ? selectBugs(manifest, opts.bugs) : activeBugs(manifest);
  const nodeModules = opts.nodeModulesDir ?? defaultNodeModules(liveTargetDir);
  const total = 1 + selected.length * repeat;
  let step = 0;
  const track = async <T>(label: string, fn: () => Promise<{ value: T; ok: boolean; detail?: string }>): Promise<T> => {
    step += 1;
    const t0 = performance.now();
    opts.progress?.({ index: step, total, label, phase: 'start' });
    const r = await fn();
    opts.progress?.({ index: step, total, label, phase: 'end', ok: r.ok, ...(r.detail ? { detail: r.detail } : {}), elapsedMs: performance.now() - t0 });
    return r.value;
  };

  if (opts.preflight) {
    const down = await opts.preflight();
    if (down) throw new GraderError('GRADER_ERR_INFRA', down.message, { details: down });
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'datanexus-discover-'));
  try {
    // one snapshot for every run, as in verify: target/ may change while this runs
    const targetDir = path.join(tmp, 'target-snapshot');
    await snapshotTarget(liveTargetDir, targetDir);
    const inventory = await track('inventory of the pristine suite', async () => {
      const inv = await inventoryDetails({
        targetDir, manifestPath, fixesDir, manifest, nodeModulesDir: nodeModules,
        ...(opts.runner ? { runner: opts.runner } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
      return { value: inv.tests, ok: inv.tests.length > 0, detail: `${inv.tests.length} tests${inv.cached ? ' (cached)' : ''}` };
    });
    if (inventory.length === 0) throw new GraderError('GRADER_ERR_INVENTORY', 'the pristine suite has no tests');

    const found: DiscoveredBug[] = [];
    let seq = 0;
    for (const bug of selected) {
      seq += 1;
      const dir = path.join(tmp, `${String(seq).padStart(4, '0')}-only-${bug.id}`);
      await materialize({ bugs: [bug.id], out: dir, targetDir, manifestPath, fixesDir, manifest, linkNodeModules: nodeModules });
      const runs: string[][] = [];
      let timedOut = false;
      for (let run = 1; run <= repeat; run += 1) {
        const label = `only ${bug.id} present: whole suite (run ${run}/${repeat})`;
        await track(label, async () => {
          const result = await runSuite({
            dir, expected: inventory,
            ...(opts.runner ? { runner: opts.runner } : {}),
            ...(opts.env ? { env: opts.env } : {}),
            ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
          });
          if (result.infraError) {
            // a run on a broken machine says nothing about the bug: stop, write nothing
            throw new GraderError('GRADER_ERR_INFRA', `${label}: ${result.infraError.message}`, { details: result.infraError });
          }
          if (result.timedOut) timedOut = true;
          const notPassed = sorted(result.results.tests.filter((t) => t.status !== 'passed').map((t) => t.id));
          runs.push(notPassed);
          return { value: undefined, ok: !result.timedOut && notPassed.length > 0, detail: `${notPassed.length} not passed${result.timedOut ? ', the suite timed out' : ''}` };
        });
      }
      await rm(dir, { recursive: true, force: true });

      const first = runs[0] ?? [];
      const union = new Set(runs.flat());
      const unstable = sorted([...union].filter((id) => !runs.every((r) => r.includes(id))));
      const stable = unstable.length === 0;
      const previous = [...bug.failToPass];
      const problems: string[] = [];
      if (timedOut) problems.push('the suite timed out: the list is incomplete');
      if (!stable) problems.push(`${unstable.length} test(s) failed in some runs only: ${unstable.join('; ')}`);
      if (first.length === 0) problems.push('no test fails with this bug present: it is not caught');
      found.push({
        id: bug.id,
        failToPass: first,
        previous,
        added: first.filter((id) => !previous.includes(id)),
        removed: previous.filter((id) => !first.includes(id)),
        stable,
        unstable,
        timedOut,
        ok: problems.length === 0,
        written: false,
        problems,
      });
    }

    let written = false;
    if (opts.write) {
      const usable = new Map(found.filter((b) => b.ok).map((b) => [b.id, b.failToPass]));
      if (usable.size > 0) {
        await writeFailToPass(manifestPath, usable);
        written = true;
        for (const b of found) if (usable.has(b.id)) b.written = true;
      }
    }
    return {
      ok: found.every((b) => b.ok),
      manifest: manifestPath,
      inventorySize: inventory.length,
      repeat,
      written,
      bugs: found,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Replaces the failToPass of the named entries; the result must still be a valid manifest. */
async function writeFailToPass(manifestPath: string, lists: ReadonlyMap<string, string[]>): Promise<void> {
  const data = (await readJsonFile(manifestPath, 'bug manifest', 'GRADER_ERR_MANIFEST_INVALID')) as { bugs?: Array<Record<string, unknown>> };
  for (const bug of data.bugs ?? []) {
    const list = lists.get(bug.id as string);
    if (!list) continue;
    const before = Array.isArray(bug.failToPass) ? (bug.failToPass as string[]) : [];
    // a validation was made against the old list; it says nothing about the new one
    if (!sameList(sorted(before), list)) delete bug.validation;
    bug.failToPass = [...list];
  }
  validateManifest(structuredClone(data));
  const tmp = path.join(path.dirname(manifestPath), `.${path.basename(manifestPath)}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`);
  await rename(tmp, manifestPath);
}

export function renderDiscovery(r: DiscoverReport): string {
  const lines: string[] = [];
  for (const b of r.bugs) {
    const delta = `was ${b.previous.length}; +${b.added.length} −${b.removed.length}`;
    const state = b.ok ? (b.written ? 'written' : 'found') : 'NOT USABLE';
    lines.push(`${b.id}: ${b.failToPass.length} failToPass test(s) (${delta}) — ${state}`);
    for (const p of b.problems) lines.push(`  - ${p}`);
  }
  lines.push(`${r.bugs.length} bug(s), ${r.repeat} run(s) each, pristine suite ${r.inventorySize} tests, ${(r.durationMs / 1000).toFixed(1)} s${r.written ? `; manifest updated: ${r.manifest}` : ''}`);
  return lines.join('\n');
}

export interface DiscoverCommandOptions extends CommonOptions {
  /** Comma-separated ids; default every active bug. */
  bugs?: string;
  repeat?: number;
  write?: boolean;
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  timeoutMs?: number;
  preflight?: boolean;
  progress?: ProgressFn;
  runner?: CommandRunner;
}

export async function discoverCommand(opts: DiscoverCommandOptions): Promise<CommandOutcome<DiscoverReport>> {
  const targetDir = resolveOpt(opts.cwd, opts.targetDir);
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const fixesDir = resolveOpt(opts.cwd, opts.fixesDir);
  const preflight = preflightFor(opts.preflight);
  const report = await discover({
    ...(opts.bugs !== undefined ? { bugs: parseBugList(opts.bugs) } : {}),
    ...(opts.repeat !== undefined ? { repeat: opts.repeat } : {}),
    ...(opts.write ? { write: true } : {}),
    ...(targetDir ? { targetDir } : {}),
    ...(manifestPath ? { manifestPath } : {}),
    ...(fixesDir ? { fixesDir } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(preflight ? { preflight } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.runner ? { runner: opts.runner } : {}),
  });
  return { exitCode: report.ok ? 0 : 1, json: report, text: renderDiscovery(report) };
}
