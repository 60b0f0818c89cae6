// Soundness of incremental grading (issue 9): for a change to a task's tree, the incremental
// grade's per-test statuses equal a full run's. Real jest runs, the environment's own
// IncrementalGrading class, the grader's recorder.
//
// What `npm test` proves (this file, default):
//  - the fixture target: every bug's task with its gold fix, every alternative and wrong fix, a
//    multi-file change and a file-adding change, end to end (incremental == full, per test);
//  - the real target, selection soundness of every gold fix against the all-fixed tree's map
//    (bug-manifest/depmap.json, recorded when stale): every failToPass file is affected by its fix,
//    which with a verified manifest is exactly what verify's affected-file proof relies on;
//  - the real target, end to end on a sample: one service bug's task graded with its gold fix, a
//    second file of the same directory edited and a module added there (multi-file and
//    file-adding at once): 2 whole-suite runs and 1 partial run.
// The slow check, `DN_SOUNDNESS=all node --import tsx --test tests/environment/incremental-soundness.test.ts`,
// runs the real-target comparison end to end for every active bug's task: gold fix, every
// alternative and wrong fix (≈ 2 whole-suite runs per patch; about an hour at 31 bugs on 2 cores).
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  activeBugs, affectedFiles, allFixedDepMap, applyPatchFile, buildDepMap, hashTree, inventoryDetails, loadManifest, materialize, patchedFiles,
  probeServers, runSuite, testPathOf, variantsOf, type BugEntry, type Manifest, type Results,
} from '../../grader/src/index.ts';
import { IncrementalGrading, statusDifferences } from '../../environment/src/grading/incremental.ts';
import type { TaskTree } from '../../environment/src/grading/tasks.ts';
import { FIXTURE_MANIFEST, FIXTURE_TARGET, REPO, TARGET_NODE_MODULES, tempDir } from '../grader/helpers.ts';

const ALL = process.env.DN_SOUNDNESS === 'all';
const REAL_TARGET = path.join(REPO, 'target');
const REAL_MANIFEST = path.join(REPO, 'bug-manifest', 'manifest.json');

interface Change {
  label: string;
  /** Applies the change to a copy of the task tree; returns the paths it changed (relative). */
  apply: (dir: string) => Promise<string[]>;
}

interface Setup {
  targetDir: string;
  manifestPath: string;
  manifest: Manifest;
  expected: string[];
  preflight?: () => ReturnType<typeof probeServers>;
  scratch: string;
}

function patchChange(label: string, file: string, extra?: (dir: string) => Promise<string[]>): Change {
  return {
    label,
    apply: async (dir) => {
      await applyPatchFile(dir, file, label);
      const touched = patchedFiles(await readFile(file, 'utf8'));
      return [...touched, ...(extra ? await extra(dir) : [])];
    },
  };
}

/** Builds the task tree with only `bug` present, grades each change incrementally and fully, and returns the differences per change. */
async function compareTask(s: Setup, bug: BugEntry, changes: Change[]): Promise<Record<string, string[]>> {
  const base = path.join(s.scratch, `task-${bug.id}`);
  await materialize({ bugs: [bug.id], out: base, targetDir: s.targetDir, manifestPath: s.manifestPath, manifest: s.manifest, linkNodeModules: TARGET_NODE_MODULES });
  const tree: TaskTree = { dir: base, contentHash: await hashTree(base), bugsPresent: [bug.id] };
  let partialRuns = 0;
  const testFiles = new Set(s.expected.map(testPathOf)).size;
  const run = async (dir: string, o: { files?: string[]; recordDeps?: boolean }): Promise<{ results: Results; deps?: NonNullable<Awaited<ReturnType<typeof runSuite>>['deps']> }> => {
    if (o.files && o.files.length < testFiles) partialRuns += 1;
    const r = await runSuite({ dir, expected: s.expected, ...(o.files ? { files: o.files } : {}), ...(o.recordDeps ? { recordDeps: true } : {}), ...(s.preflight ? { preflight: s.preflight } : {}) });
    assert.equal(r.infraError, undefined, r.infraError?.message);
    return { results: r.results, ...(r.deps ? { deps: r.deps } : {}) };
  };
  let seq = 0;
  const copyOfTask = async (): Promise<string> => {
    seq += 1;
    const dir = path.join(s.scratch, `grade-${bug.id}-${seq}`);
    await cp(base, dir, { recursive: true, verbatimSymlinks: true });
    return dir;
  };
  // the baseline run records the task's map, as the service's baseline does
  const baselineRun = await run(base, { recordDeps: true });
  const inc = new IncrementalGrading({ cacheDir: path.join(s.scratch, `cache-${bug.id}`), grading: 'incremental', gradingCrossCheckEvery: 0 }, {
    run,
    baseline: async () => baselineRun.results,
    withTaskCopy: async (_t, fn) => fn(await copyOfTask()),
    accept: () => undefined,
    log: () => undefined,
  });
  await inc.keep(tree, await buildDepMap(base, tree.contentHash, baselineRun.deps!));
  const out: Record<string, string[]> = {};
  for (const change of changes) {
    const dir = await copyOfTask();
    const taken = await change.apply(dir);
    const incremental = await inc.results({ tree, treeDir: dir, taken, expected: s.expected });
    const full = await run(dir, {});
    out[change.label] = statusDifferences(incremental.results, full.results);
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(inc.stats.full, 0, 'every change was graded incrementally');
  assert.ok(partialRuns > 0, `${bug.id}: some grade took results from the baseline (else the comparison proves nothing)`);
  await rm(base, { recursive: true, force: true });
  return out;
}

function goldAndVariants(s: Setup, bug: BugEntry): Change[] {
  const dir = path.dirname(s.manifestPath);
  const changes: Change[] = [patchChange(`${bug.id} gold fix`, path.join(dir, bug.fix))];
  for (const kind of ['alternative', 'wrong-fix'] as const) {
    for (const v of variantsOf(bug, kind)) {
      // the variant replaces the gold fix: the task tree has the bug, so the variant applies on it
      changes.push(patchChange(`${bug.id} ${kind} ${v.patch}`, path.join(dir, v.patch)));
    }
  }
  return changes;
}

const addFile = (rel: string, body: string) => async (dir: string): Promise<string[]> => {
  await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await writeFile(path.join(dir, rel), body);
  return [rel];
};

describe('incremental grading equals full grading: the fixture target, every patch', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let s: Setup;
  before(async () => {
    tmp = await tempDir('inc-sound-fixture-');
    const manifest = await loadManifest(FIXTURE_MANIFEST);
    const manifestCopy = path.join(tmp.dir, 'mini-manifest');
    await cp(path.dirname(FIXTURE_MANIFEST), manifestCopy, { recursive: true });
    const manifestPath = path.join(manifestCopy, 'manifest.json');
    const expected = (await inventoryDetails({ targetDir: FIXTURE_TARGET, manifestPath, manifest })).tests;
    s = { targetDir: FIXTURE_TARGET, manifestPath, manifest, expected, scratch: tmp.dir };
  });
  after(async () => { await tmp.cleanup(); });

  test('gold fixes, alternatives, wrong fixes, a multi-file change and an added file', async () => {
    const bugs = activeBugs(s.manifest);
    const results: Record<string, string[]> = {};
    for (const bug of bugs) {
      const changes = goldAndVariants(s, bug);
      if (bug === bugs[0]) {
        // multi-file: the gold fix plus an edit of another source file; then a file added next to loaded modules
        const other = bugs[1]!;
        changes.push(patchChange(`${bug.id} gold fix + ${other.id}'s file edited`, path.join(path.dirname(s.manifestPath), bug.fix), async (dir) => {
          const f = other.files[0]!;
          await writeFile(path.join(dir, f), `${await readFile(path.join(dir, f), 'utf8')}\n// edited\n`);
          return [f];
        }));
        changes.push(patchChange(`${bug.id} gold fix + an added module`, path.join(path.dirname(s.manifestPath), bug.fix), addFile('src/added-helper.js', "'use strict';\nmodule.exports = 1;\n")));
      }
      Object.assign(results, await compareTask(s, bug, changes));
    }
    const labels = Object.keys(results);
    assert.ok(labels.some((l) => l.includes('alternative')) && labels.some((l) => l.includes('wrong-fix')), `variants covered: ${labels.join(', ')}`);
    for (const [label, diff] of Object.entries(results)) assert.deepEqual(diff, [], `${label}: incremental differs from full`);
  });
});

describe('incremental grading equals full grading: the real target', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let s: Setup;
  before(async () => {
    tmp = await tempDir('inc-sound-real-');
    const manifest = await loadManifest(REAL_MANIFEST);
    const preflight = () => probeServers();
    const expected = (await inventoryDetails({ targetDir: REAL_TARGET, manifestPath: REAL_MANIFEST, manifest, preflight })).tests;
    s = { targetDir: REAL_TARGET, manifestPath: REAL_MANIFEST, manifest, expected, preflight, scratch: tmp.dir };
  });
  after(async () => { await tmp.cleanup(); });

  test('selection: every gold fix affects every file holding its failToPass tests (all-fixed map)', async () => {
    const { map } = await allFixedDepMap({ targetDir: REAL_TARGET, manifestPath: REAL_MANIFEST, preflight: s.preflight! });
    const missed: string[] = [];
    for (const bug of activeBugs(s.manifest)) {
      const fix = await readFile(path.join(path.dirname(REAL_MANIFEST), bug.fix), 'utf8');
      const affected = affectedFiles(map, patchedFiles(fix).map((p) => ({ path: p, kind: 'modified' as const })));
      const selected = new Set(affected.files);
      for (const f of new Set(bug.failToPass.map(testPathOf))) if (!affected.everything && !selected.has(f)) missed.push(`${bug.id}: ${f}`);
    }
    assert.deepEqual(missed, []);
    assert.ok(Object.keys(map.files).length > 50, 'the map covers the suite');
  });

  test(ALL ? 'every active bug: gold fix, alternatives, wrong fixes (slow check)' : 'a sampled bug: its gold fix with another file edited and a module added', async () => {
    const bugs = activeBugs(s.manifest);
    // the sample: the first one-file fix in a service (a few test files affected, so the partial run is cheap)
    const sample = bugs.find((b) => b.files.length === 1 && b.files[0]!.startsWith('services/')) ?? bugs[0]!;
    const results: Record<string, string[]> = {};
    for (const bug of ALL ? bugs : [sample]) {
      // npm test: one change that is multi-file and file-adding at once (gold fix + a neighbour edited + a module added)
      const changes = ALL ? goldAndVariants(s, bug) : [];
      if (bug === sample) {
        const fix = path.join(path.dirname(REAL_MANIFEST), bug.fix);
        const dir = path.posix.dirname(bug.files[0]!);
        const neighbour = bugs.flatMap((b) => b.files).find((f) => f !== bug.files[0] && path.posix.dirname(f) === dir) ?? bugs.find((b) => b.id !== bug.id)!.files[0]!;
        changes.push(patchChange(`${bug.id} gold fix + ${neighbour} edited + ${dir}/added-helper.js`, fix, async (tree) => {
          await writeFile(path.join(tree, neighbour), `${await readFile(path.join(tree, neighbour), 'utf8')}\n// edited\n`);
          return [neighbour, ...(await addFile(`${dir}/added-helper.js`, "'use strict';\nmodule.exports = 1;\n")(tree))];
        }));
      }
      Object.assign(results, await compareTask(s, bug, changes));
    }
    for (const [label, diff] of Object.entries(results)) assert.deepEqual(diff, [], `${label}: incremental differs from full`);
  });
});
