import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pMap from 'p-map';
import { hashTree } from './hash.ts';
import { defaultNodeModules, inventoryDetails } from './inventory.ts';
import { variantsOf, type BugEntry, type BugValidation } from './manifest.ts';
import { writeValidations } from './manifest-write.ts';
import { jobsOf, RecordWriter } from './verify/records.ts';
import { maskingFromManifest } from './masking.ts';
import { resolveManifestRun } from './manifest-run.ts';
import { snapshotTarget } from './materialize.ts';
import { track } from './verify/context.ts';
import { applyStep, staticStep } from './verify/patches.ts';
import { writeReport } from './verify/report.ts';
import { bugOutcome } from './verify/outcome.ts';
import { loadReads } from './verify/read-store.ts';
import { allFixedRuns, shippedRuns } from './verify/runs.ts';
import type { BugVerdict, Ctx, VerifyOptions, VerifyReport } from './verify/types.ts';
import { bugVerdict, type BugOutcome } from './verify/verdicts.ts';
import { GRADER_VERSION } from './version.ts';

export type { BugVerdict, VerifyCheck, VerifyOptions, VerifyReport } from './verify/types.ts';
export { compare, judgeVariant } from './verify/suite-check.ts';
export { readReport, renderReport } from './verify/report.ts';

/** Suite runs a verification makes: all-fixed, each bug and each of its variants, the shipped tree. */
function countSteps(selected: BugEntry[], repeat: number, checkShipped: boolean): number {
  const perBug = selected.reduce((n, b) => n + 1 + variantsOf(b, 'alternative').length + variantsOf(b, 'wrong-fix').length, 0);
  return 3 + repeat + perBug * repeat + (checkShipped ? repeat : 0);
}

async function prepare(opts: VerifyOptions): Promise<{ ctx: Ctx; selected: BugEntry[]; checkShipped: boolean; liveTargetDir: string; targetHash: string }> {
  const quick = opts.quick === true;
  const { repeat, liveTargetDir, manifestPath, fixesDir, manifest, selected } = await resolveManifestRun(opts, quick ? 1 : opts.repeat ?? 3);
  const checkShipped = opts.shipped ?? !opts.bugs;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'datanexus-verify-'));
  // Every step works on one snapshot of the target.
  const targetDir = path.join(tmp, 'target-snapshot');
  let targetHash: string;
  try {
    await snapshotTarget(liveTargetDir, targetDir);
    targetHash = await hashTree(targetDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const ctx: Ctx = {
    opts, targetDir, manifestPath, manifestDir: path.dirname(manifestPath), fixesDir, manifest, tmp,
    nodeModules: opts.nodeModulesDir ?? defaultNodeModules(liveTargetDir),
    inventory: [], quick, full: opts.full === true, repeat, checks: [], step: 0, seq: 0,
    total: countSteps(selected, repeat, checkShipped),
  };
  return { ctx, selected, checkShipped, liveTargetDir, targetHash };
}

/** Inventory first: the static checks need it, and it is the one step that may run the suite unasked. */
async function inventoryStep(ctx: Ctx): Promise<void> {
  const { opts } = ctx;
  await track(ctx, 'inventory of the pristine suite', async () => {
    const inv = await inventoryDetails({
      targetDir: ctx.targetDir, manifestPath: ctx.manifestPath, fixesDir: ctx.fixesDir, manifest: ctx.manifest, nodeModulesDir: ctx.nodeModules,
      ...(opts.runner ? { runner: opts.runner } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.preflight ? { preflight: opts.preflight } : {}),
    });
    ctx.inventory = inv.tests;
    return { step: 'inventory', label: 'inventory', ok: inv.tests.length > 0, detail: `${inv.tests.length} tests${inv.cached ? ' (cached)' : ''}` };
  });
}

interface ReportParts {
  ctx: Ctx;
  outcomes: BugOutcome[];
  vc: Parameters<typeof bugVerdict>[1];
  masking: ReturnType<typeof maskingFromManifest>;
  /** Every problem of the verification as a whole (global first, then manifest-wide). */
  problems: string[];
  target: string;
  targetHash: string;
  started: number;
}

/** Each bug's verdict, the validations to write, and the report they make together. */
function assembleReport(p: ReportParts): { report: VerifyReport; updates: Map<string, BugValidation | null> } {
  const { ctx } = p;
  const bugs: Record<string, BugVerdict> = {};
  const updates = new Map<string, BugValidation | null>();
  for (const o of p.outcomes) {
    const verdict = bugVerdict(o, p.vc);
    bugs[o.bug.id] = verdict;
    updates.set(o.bug.id, verdict.validation ?? null);
  }
  const fullyMasked = [...p.masking.values()].filter((m) => m.fullyMasked).map((m) => m.id);
  const ok = p.problems.length === 0 && Object.values(bugs).every((b) => b.ok) && ctx.checks.every((c) => c.ok);
  const report: VerifyReport = {
    ok, graderVersion: GRADER_VERSION, date: p.vc.date, mode: ctx.quick ? 'quick' : 'full', repeat: ctx.repeat,
    selection: ctx.full || !ctx.selection ? 'whole-suite' : 'affected', requireValidity: p.vc.requireValidity,
    target: p.target, targetHash: p.targetHash, manifest: ctx.manifestPath, inventorySize: ctx.inventory.length,
    problems: p.problems,
    warnings: [
      ...(ctx.quick ? ['quick mode: each bug and alternative ran only the files holding its failToPass tests, so failures in other files (regressions included) were not looked for; a wrong fix not caught there got one run of every file it can affect'] : []),
      ...(!ctx.full && !ctx.selection ? ['no dependency map was recorded (the all-fixed suite did not pass): every tree ran the whole suite'] : []),
    ],
    fullyMasked, bugs, checks: ctx.checks,
    durationMs: Math.round(performance.now() - p.started),
  };
  return { report, updates };
}

/**
 * The validation of the manifest (docs/design.md, "The manifest and its validation"), with bug validity v2:
 *  (1) every gold fix, alternative and wrong fix applies to the shipped target alone (an alternative
 *      is not the gold fix again), and all gold fixes apply together in manifest order and in reverse;
 *  (2) with every fix applied the whole suite passes, k times;
 *  (3) for each bug, the tree with only that bug present fails exactly its failToPass, k times; with
 *      each alternative in place of its gold fix nothing fails, and with each wrong fix a failToPass
 *      test fails or another test breaks, k times each (quick: one run of only the files holding its
 *      failToPass tests: faster, but a failure in another file goes unseen, regressions included);
 *  (4) the shipped target fails exactly the union of every active bug's failToPass.
 * dependsOn is measured from the failToPass lists (masking.ts); with requireValidity, a bug without
 * an alternative or a wrong fix, or whose recorded dependsOn is not the measured one, fails.
 * A bug is validated when its own checks and (2) pass; (1)'s combined application and (4) are
 * manifest-wide and fail the verification without voiding it.
 * Writes `validation` into each verified entry (removes it from entries that failed) as soon as the
 * entry's own runs are over, and a report at the end.
 */
export async function verify(opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const date = (opts.clock ?? (() => new Date()))().toISOString();
  const jobs = jobsOf(opts);
  const { ctx, selected, checkShipped, liveTargetDir, targetHash } = await prepare(opts);
  const problems = new Map<string, string[]>(selected.map((b) => [b.id, []]));
  const note = (id: string, p: string): void => void problems.get(id)?.push(p);
  // globalProblems void every bug's validation (the all-fixed suite is the baseline of every
  // per-bug check); manifestProblems (fixes that do not combine, a shipped target that fails more
  // or less than the union) fail the verification without voiding bugs that verified on their own.
  const globalProblems: string[] = [];
  const manifestProblems: string[] = [];
  try {
    await inventoryStep(ctx);
    if (ctx.inventory.length === 0) globalProblems.push('the pristine suite has no tests');
    await staticStep(ctx, selected, note);
    await applyStep(ctx, selected, note, manifestProblems);
    await allFixedRuns(ctx, globalProblems);
    const masking = maskingFromManifest(ctx.manifest);
    const requireValidity = opts.requireValidity ?? ctx.manifest.requireValidity ?? false;
    const vc = { repeat: ctx.repeat, quick: ctx.quick, date, requireValidity, globalProblems };
    const reads = await loadReads(ctx.manifestDir);
    // Each bug's record is written as soon as its own runs are over: a long verification that is
    // interrupted keeps what it proved (the final write below repeats it with the report). Bugs
    // run `jobs` at a time; the records are written one after another, since each write re-reads
    // the manifest.
    const records = new RecordWriter(ctx, vc);
    const outcomes: BugOutcome[] = await pMap(selected, async (bug) => {
      const outcome = await bugOutcome(ctx, bug, targetHash, reads, note, problems.get(bug.id) ?? []);
      outcome.masking = masking.get(bug.id);
      if (opts.write !== false) await records.write(outcome);
      return outcome;
    }, { concurrency: jobs });
    if (checkShipped) await shippedRuns(ctx, manifestProblems);

    const { report, updates } = assembleReport({
      ctx, outcomes, vc, masking, problems: [...globalProblems, ...manifestProblems], target: liveTargetDir, targetHash, started,
    });
    if (opts.write !== false) {
      if (updates.size > 0) await writeValidations(ctx.manifestPath, updates);
      report.reportFile = path.resolve(opts.reportPath ?? path.join(ctx.manifestDir, 'verify-report.json'));
      await writeReport(report, report.reportFile);
    }
    return report;
  } finally {
    await rm(ctx.tmp, { recursive: true, force: true });
  }
}
