import { rm } from 'node:fs/promises';
import { KIND_LABEL, variantFile } from '../fix-variants.ts';
import { activeBugs, mayPassWhilePresent, variantsOf, type BugEntry, type FixVariant, type VariantKind } from '../manifest.ts';
import { applyPatchFile, materialize } from '../materialize.ts';
import { testPathOf } from '../results.ts';
import { hashTree } from '../hash.ts';
import { keptAllFixed, recordAllFixed } from './all-fixed-record.ts';
import { freshDir, track } from './context.ts';
import type { ReadsAcc } from './read-key.ts';
import { affectedSelection, keepAllFixedMap, selectionFor, treeName } from './selection.ts';
import type { NoteFn } from './patches.ts';
import { judgeVariant, runTree, suiteCheck } from './suite-check.ts';
import type { CheckBase, Ctx, VerifyCheck } from './types.ts';

/** Builds the tree with exactly `bugs` present; a failure is returned as a message, not thrown. */
async function build(ctx: Ctx, dir: string, bugs: 'all' | 'none' | string[]): Promise<string | undefined> {
  try {
    await materialize({ bugs, out: dir, targetDir: ctx.targetDir, manifestPath: ctx.manifestPath, fixesDir: ctx.fixesDir, manifest: ctx.manifest, linkNodeModules: ctx.nodeModules });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The test files that hold a bug's failToPass tests. */
function ownFiles(bug: BugEntry): string[] {
  return [...new Set(bug.failToPass.map(testPathOf))].sort();
}

/**
 * The test files a bug's or variant's tree is judged on (undefined: the whole suite): quick mode,
 * the files holding its failToPass tests; otherwise the files its patches can affect
 * (selection.ts). A full verification that follows reads keeps each tree's selection with them
 * (read-key.ts).
 */
async function filesFor(ctx: Ctx, bug: BugEntry, dir: string, reads: ReadsAcc | undefined, variant?: FixVariant): Promise<string[] | undefined> {
  if (ctx.quick) return ownFiles(bug);
  const { files, changes } = await selectionFor(ctx, bug, dir, variant);
  reads?.addTree(treeName(variant), files, changes);
  return files;
}

/**
 * What run `run` of a bug or alternative tree runs. The first run is judged on every file the
 * tree's patches can affect: that is where a regression or a test failing outside the list would
 * show. Runs 2..k repeat the verdict where it can flip, on the files holding the failToPass tests;
 * the all-fixed tree's k whole-suite runs already show the other tests are stable. `--full` keeps
 * the whole suite for every run (docs/bug-validity.md, "What k runs prove").
 */
function filesForRun(ctx: Ctx, bug: BugEntry, files: string[] | undefined, run: number): string[] | undefined {
  return run === 1 || ctx.full ? files : ownFiles(bug);
}

/**
 * (2) every bug fixed: the whole suite passes, k times. Failures are global problems. With
 * `--reuse`, runs recorded on this very tree stand for them (all-fixed-record.ts).
 */
export async function allFixedRuns(ctx: Ctx, globalProblems: string[]): Promise<void> {
  const dir = freshDir(ctx, 'all-fixed');
  const broken = await build(ctx, dir, 'none');
  if (broken) globalProblems.push(`cannot build the all-fixed tree: ${broken}`);
  const treeHash = broken ? '' : await hashTree(dir);
  const kept = broken ? undefined : await keptAllFixed(ctx, dir, treeHash);
  const labelOf = (run: number): string => `all fixed: whole suite passes (run ${run}/${ctx.repeat})`;
  if (kept) {
    for (let run = 1; run <= ctx.repeat; run += 1) {
      const label = labelOf(run);
      await track(ctx, label, async () => ({ step: 'all-fixed' as const, label, run, ok: true, detail: `kept: passed ${kept.runs}/${kept.runs} on this tree (${kept.date})` }));
    }
    await rm(dir, { recursive: true, force: true });
    return;
  }
  let passed = 0;
  for (let run = 1; run <= ctx.repeat; run += 1) {
    const label = labelOf(run);
    const check = await track(ctx, label, async () =>
      broken ? { step: 'all-fixed' as const, label, run, ok: false, detail: 'the all-fixed tree could not be built' }
        // the first run records the dependency map every affected-file selection uses
        : suiteCheck(ctx, { step: 'all-fixed', label, run }, dir, new Set(), undefined, run === 1 && !ctx.full ? async (deps) => { if (deps) await keepAllFixedMap(ctx, dir, deps); } : undefined));
    if (check.ok) passed += 1;
    else if (!broken) globalProblems.push(`${label}: ${check.detail ?? 'failed'}`);
  }
  if (!broken && passed === ctx.repeat) await recordAllFixed(ctx, treeHash, passed);
  await rm(dir, { recursive: true, force: true });
}

/**
 * (3) only this bug present: exactly its failToPass fail, runs `firstRun`..k (earlier runs are a
 * kept record's, reuse.ts). Returns the runs that did. With `reads`, each run records what it read
 * (read-key.ts).
 */
export async function bugRuns(ctx: Ctx, bug: BugEntry, note: NoteFn, firstRun = 1, reads?: ReadsAcc): Promise<number> {
  const dir = freshDir(ctx, `only-${bug.id}`);
  const broken = await build(ctx, dir, [bug.id]);
  if (broken) note(bug.id, `cannot build the tree with only ${bug.id}: ${broken}`);
  const files = broken ? undefined : await filesFor(ctx, bug, dir, reads);
  let good = 0;
  for (let run = firstRun; run <= ctx.repeat; run += 1) {
    const runFiles = broken ? undefined : filesForRun(ctx, bug, files, run);
    const label = `only ${bug.id} present: exactly its ${bug.failToPass.length} failToPass test(s) fail${where(runFiles, files)} (run ${run}/${ctx.repeat})`;
    const check = await track(ctx, label, async () =>
      broken ? { step: 'bug' as const, label, bug: bug.id, run, ok: false, detail: 'tree not built' } : suiteCheck(ctx, { step: 'bug', label, bug: bug.id, run }, dir, new Set(bug.failToPass), runFiles, reads ? async (deps) => reads.add(deps) : undefined, mayPassWhilePresent([bug])));
    if (check.ok) good += 1;
    else if (!broken) note(bug.id, `run ${run}/${ctx.repeat}: ${check.detail ?? 'failed'}`);
  }
  await rm(dir, { recursive: true, force: true });
  return good;
}

export interface VariantTally {
  good: number;
  total: number;
}

/**
 * One run of a variant's tree, judged. An alternative runs what `filesForRun` says. A wrong fix
 * first runs the files holding the failToPass tests, where it is almost always caught, and a
 * wrong fix caught there is caught whatever the other files do; one those files do not catch then
 * runs every file it can affect (the whole suite with `--full`), so no mode calls a wrong fix
 * accepted that a wider run would catch.
 */
async function judgeRun(ctx: Ctx, bug: BugEntry, kind: VariantKind, base: CheckBase, dir: string, files: string[] | undefined, variant: FixVariant, reads?: ReadsAcc): Promise<VerifyCheck> {
  const firstFiles = kind === 'wrong-fix' && !ctx.full ? ownFiles(bug) : filesForRun(ctx, bug, files, base.run ?? 1);
  const first = await runTree(ctx, base.label, dir, firstFiles, reads !== undefined);
  reads?.add(first.deps);
  const check = judgeVariant(base, kind, bug.failToPass, first.results, first.timedOut, mayPassWhilePresent([bug]));
  if (kind === 'alternative' || check.ok || first.timedOut || !firstFiles) return check;
  const wider = ctx.quick ? await affectedSelection(ctx, bug, dir, variant) : files;
  const whole = await runTree(ctx, base.label, dir, wider, reads !== undefined);
  reads?.add(whole.deps);
  const again = judgeVariant(base, kind, bug.failToPass, whole.results, whole.timedOut, mayPassWhilePresent([bug]));
  const span = wider ? `the ${wider.length} file(s) it can affect` : 'whole suite';
  return { ...again, detail: `not caught in its ${firstFiles.length} file(s); ${span}: ${again.detail ?? ''}` };
}

/** How a run's label names its files: the failToPass files of a later run, or the tree's selection. */
function where(runFiles: string[] | undefined, files: string[] | undefined): string {
  if (!runFiles) return '';
  return runFiles === files ? ` (in ${runFiles.length} file(s))` : ` (its failToPass files: ${runFiles.length})`;
}

/** One alternative or wrong fix in place of the gold fix (every other gold fix applied), runs `firstRun`..k. */
async function variantRun(ctx: Ctx, bug: BugEntry, kind: VariantKind, variant: FixVariant, note: NoteFn, firstRun: number, reads?: ReadsAcc): Promise<number> {
  const { patch } = variant;
  const dir = freshDir(ctx, `${kind}-${bug.id}`);
  let broken = await build(ctx, dir, [bug.id]);
  if (!broken) {
    try {
      await applyPatchFile(dir, variantFile(ctx.manifestDir, variant), `${KIND_LABEL[kind]} ${patch}`, { bug: bug.id });
    } catch (err) {
      broken = `${(err as Error).message.split('\n')[0]} on the tree with every other fix`;
    }
  }
  if (broken) note(bug.id, broken);
  const files = broken ? undefined : await filesFor(ctx, bug, dir, reads, variant);
  let good = 0;
  for (let run = firstRun; run <= ctx.repeat; run += 1) {
    const what = kind === 'alternative' ? 'every failToPass passes, nothing regresses' : 'a failToPass fails or something regresses';
    const runFiles = broken ? undefined : kind === 'wrong-fix' && !ctx.full ? ownFiles(bug) : filesForRun(ctx, bug, files, run);
    const label = `${bug.id} with ${KIND_LABEL[kind]} ${patch}: ${what}${where(runFiles, files)} (run ${run}/${ctx.repeat})`;
    const base = { step: kind, label, bug: bug.id, run, patch } as const;
    const check: VerifyCheck = await track(ctx, label, async () => (broken ? { ...base, ok: false, detail: 'tree not built' } : judgeRun(ctx, bug, kind, base, dir, files, variant, reads)));
    if (check.ok) good += 1;
    else if (!broken) note(bug.id, `${KIND_LABEL[kind]} ${patch}, run ${run}/${ctx.repeat}: ${check.detail ?? 'failed'}`);
  }
  await rm(dir, { recursive: true, force: true });
  return good;
}

/** Every alternative and wrong fix of a bug, runs `firstRun`..k: how many behaved, over variants × runs. */
export async function variantRuns(ctx: Ctx, bug: BugEntry, note: NoteFn, firstRun = 1, reads?: ReadsAcc): Promise<Record<VariantKind, VariantTally>> {
  const tally: Record<VariantKind, VariantTally> = { alternative: { good: 0, total: 0 }, 'wrong-fix': { good: 0, total: 0 } };
  for (const kind of ['alternative', 'wrong-fix'] as const) {
    for (const v of variantsOf(bug, kind)) {
      tally[kind].good += await variantRun(ctx, bug, kind, v, note, firstRun, reads);
      tally[kind].total += ctx.repeat - firstRun + 1;
    }
  }
  return tally;
}

/** (4) the shipped target fails exactly the union of every active bug's failToPass. */
export async function shippedRuns(ctx: Ctx, manifestProblems: string[]): Promise<void> {
  const dir = freshDir(ctx, 'shipped');
  const broken = await build(ctx, dir, 'all');
  if (broken) manifestProblems.push(`cannot copy the shipped target: ${broken}`);
  const union = new Set(activeBugs(ctx.manifest).flatMap((b) => b.failToPass));
  const mayPass = mayPassWhilePresent(activeBugs(ctx.manifest));
  for (let run = 1; run <= ctx.repeat; run += 1) {
    const label = `shipped target: exactly the union of failToPass (${union.size}) fails (run ${run}/${ctx.repeat})`;
    const check = await track(ctx, label, async () =>
      broken ? { step: 'shipped' as const, label, run, ok: false, detail: 'tree not built' } : suiteCheck(ctx, { step: 'shipped', label, run }, dir, union, undefined, undefined, mayPass));
    if (!check.ok && !broken) manifestProblems.push(`${label}: ${check.detail ?? 'failed'}`);
  }
  await rm(dir, { recursive: true, force: true });
}
