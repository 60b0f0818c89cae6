import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { GraderError } from '../errors.ts';
import { defaultNodeModules, inventoryDetails } from '../inventory.ts';
import { activeBugs, type Manifest } from '../manifest.ts';
import { writeDependsOn, writeFailToPass } from '../manifest-write.ts';
import { measureMasking } from '../masking.ts';
import { resolveManifestRun } from '../manifest-run.ts';
import { snapshotTarget } from '../materialize.ts';
import { discoverOne, type DiscoverCtx } from './runs.ts';
import { allFixedSelection } from './selection.ts';
import type { DiscoveredBug, DiscoverOptions, DiscoverReport, MaskingSummary } from './types.ts';

export type { DiscoveredBug, DiscoverOptions, DiscoverReport, MaskingSummary } from './types.ts';

// `discover`: finds each bug's failToPass empirically, the way verify checks it. For every bug the
// tree with only that bug present (the shipped target plus every other fix) runs the test files its
// fix can affect by the all-fixed tree's dependency map (the whole suite with --full), k times; the
// tests that do not pass in it are its failToPass. The lists of all k runs must agree
// (a test that fails in some runs only is flaky, and verify would reject it), and a bug must fail
// at least one test. The same lists give the measured masking (masking.ts): dependsOn of every
// active bug, from this run's lists for the bugs it ran and the recorded lists for the others.
// With --write, agreed lists replace the entries' failToPass and every active bug's dependsOn is
// replaced by the measured one.

function progressTracker(opts: DiscoverOptions, total: number): DiscoverCtx['track'] {
  let step = 0;
  return async (label, fn) => {
    step += 1;
    const t0 = performance.now();
    opts.progress?.({ index: step, total, label, phase: 'start' });
    const r = await fn();
    opts.progress?.({ index: step, total, label, phase: 'end', ok: r.ok, ...(r.detail ? { detail: r.detail } : {}), elapsedMs: performance.now() - t0 });
    return r.value;
  };
}

/** Masking of every active bug, with this run's usable lists in place of the recorded ones. */
function maskingWith(manifest: Manifest, found: DiscoveredBug[]): MaskingSummary[] {
  const fresh = new Map(found.filter((b) => b.ok).map((b) => [b.id, b.failToPass]));
  const active = activeBugs(manifest);
  const measured = measureMasking(active.map((b) => ({ id: b.id, failToPass: fresh.get(b.id) ?? b.failToPass })));
  return active.map((b) => {
    const m = measured.get(b.id)!;
    return { id: b.id, dependsOn: m.dependsOn, recorded: [...b.dependsOn], maskedBy: m.maskedBy, fullyMasked: m.fullyMasked };
  });
}

/** Writes the masking the recorded lists imply (each list was written as it was measured); nothing when none was usable. */
async function writeMasking(manifestPath: string, found: DiscoveredBug[], masking: MaskingSummary[]): Promise<boolean> {
  if (!found.some((b) => b.written)) return false;
  await writeDependsOn(manifestPath, new Map(masking.map((m) => [m.id, m.dependsOn])));
  return true;
}

/** The pristine suite's test ids (cached by the inventory), as a tracked step's value. */
async function pristineInventory(
  opts: DiscoverOptions,
  tree: { targetDir: string; manifestPath: string; fixesDir: string; manifest: Manifest; nodeModules: string },
): Promise<{ value: string[]; ok: boolean; detail: string }> {
  const inv = await inventoryDetails({
    targetDir: tree.targetDir, manifestPath: tree.manifestPath, fixesDir: tree.fixesDir, manifest: tree.manifest, nodeModulesDir: tree.nodeModules,
    ...(opts.runner ? { runner: opts.runner } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { value: inv.tests, ok: inv.tests.length > 0, detail: `${inv.tests.length} tests${inv.cached ? ' (cached)' : ''}` };
}

/**
 * Runs the suite once (or k times) per bug with only that bug present and reports the tests that
 * do not pass, and the masking they imply. With `write`, the usable lists and every active bug's
 * measured dependsOn go into the manifest (re-read at write time; a changed list drops the entry's
 * stale `validation`).
 */
export async function discover(opts: DiscoverOptions = {}): Promise<DiscoverReport> {
  const started = performance.now();
  const { repeat, liveTargetDir, manifestPath, fixesDir, manifest, selected } = await resolveManifestRun(opts, opts.repeat ?? 1);
  const track = progressTracker(opts, (opts.full ? 1 : 2) + selected.length * repeat);

  if (opts.preflight) {
    const down = await opts.preflight();
    if (down) throw new GraderError('GRADER_ERR_INFRA', down.message, { details: down });
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'datanexus-discover-'));
  try {
    // one snapshot for every run, as in verify: target/ may change while this runs
    const targetDir = path.join(tmp, 'target-snapshot');
    await snapshotTarget(liveTargetDir, targetDir);
    const nodeModules = opts.nodeModulesDir ?? defaultNodeModules(liveTargetDir);
    const inventory = await track('inventory of the pristine suite', () => pristineInventory(opts, { targetDir, manifestPath, fixesDir, manifest, nodeModules }));
    if (inventory.length === 0) throw new GraderError('GRADER_ERR_INVENTORY', 'the pristine suite has no tests');

    const base = { opts, targetDir, manifestPath, fixesDir, manifest, nodeModules, inventory, tmp, repeat };
    const selection = opts.full ? undefined : await track('dependency map of the all-fixed tree', async () => {
      const sel = await allFixedSelection(base);
      return { value: sel, ok: true, detail: `${Object.keys(sel.map.files).length} test files${sel.cached ? ' (stored)' : ' (recorded)'}` };
    });
    const ctx: DiscoverCtx = { ...base, track, ...(selection ? { selection } : {}) };
    const found: DiscoveredBug[] = [];
    for (const [i, bug] of selected.entries()) {
      const one = await discoverOne(ctx, bug, i + 1);
      found.push(one);
      // each list as soon as it is measured: a whole-manifest discover takes an hour or more, and
      // one that is stopped keeps what it finished (dependsOn needs every list, so it waits)
      if (opts.write === true && one.ok) {
        await writeFailToPass(manifestPath, new Map([[one.id, one.failToPass]]));
        one.written = true;
      }
    }
    const masking = maskingWith(manifest, found);
    const written = opts.write === true && (await writeMasking(manifestPath, found, masking));
    return {
      ok: found.every((b) => b.ok),
      manifest: manifestPath,
      inventorySize: inventory.length,
      repeat,
      written,
      bugs: found,
      masking,
      fullyMasked: masking.filter((m) => m.fullyMasked).map((m) => m.id),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
