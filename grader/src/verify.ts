import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { GraderError } from './errors.ts';
import { hashTree } from './hash.ts';
import { defaultNodeModules, inventoryDetails } from './inventory.ts';
import { activeBugs, loadManifest, selectBugs, writeValidations, type BugEntry, type BugValidation, type Manifest } from './manifest.ts';
import { applyFix, copyTarget, fixPath, materialize, patchedFiles, readFix, snapshotTarget } from './materialize.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_TARGET_DIR, defaultFixesDir } from './paths.ts';
import type { ProgressFn } from './progress.ts';
import { testPathOf } from './results.ts';
import { runSuite } from './run-suite.ts';
import type { CommandRunner, InfraError, Results } from './types.ts';
import { GRADER_VERSION } from './version.ts';

/** Files a fix may never touch: grading restores them, so a fix there would be a fix nobody can make. */
const PROTECTED = [/^tests\//, /^jest\.config\.[cm]?js$/, /^package(-lock)?\.json$/];

export interface VerifyOptions {
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  /** Only these bugs (default: every active bug). */
  bugs?: string[];
  /**
   * Run the shipped-target check (4): the shipped tree fails exactly the union of every active
   * bug's failToPass. Default: only when every bug is verified; set it to check after a subset.
   */
  shipped?: boolean;
  /** k: runs per suite check (default 3; quick mode forces 1). */
  repeat?: number;
  quick?: boolean;
  runner?: CommandRunner;
  clock?: () => Date;
  progress?: ProgressFn;
  /** Write validation records into the manifest and the report files (default true). */
  write?: boolean;
  reportPath?: string;
  nodeModulesDir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  preflight?: () => Promise<InfraError | undefined>;
}

export interface VerifyCheck {
  step: 'static' | 'apply' | 'inventory' | 'all-fixed' | 'bug' | 'shipped';
  label: string;
  ok: boolean;
  bug?: string;
  run?: number;
  detail?: string;
  /** Tests that did not pass but were not expected to fail. */
  unexpectedFailures?: string[];
  /** Tests expected to fail that passed. */
  unexpectedPasses?: string[];
}

export interface BugVerdict {
  ok: boolean;
  stability: string;
  validation?: BugValidation;
  problems: string[];
}

export interface VerifyReport {
  ok: boolean;
  graderVersion: string;
  date: string;
  mode: 'full' | 'quick';
  repeat: number;
  target: string;
  /** hashTree of the snapshot of the target every step used. */
  targetHash: string;
  manifest: string;
  inventorySize: number;
  /** Problems that are not one bug's: the all-fixed suite, fixes combined, the shipped target. */
  problems: string[];
  bugs: Record<string, BugVerdict>;
  checks: VerifyCheck[];
  durationMs: number;
  reportFile?: string;
}

interface Ctx {
  opts: VerifyOptions;
  targetDir: string;
  manifestPath: string;
  fixesDir: string;
  manifest: Manifest;
  tmp: string;
  nodeModules: string;
  checks: VerifyCheck[];
  step: number;
  total: number;
  seq: number;
}

const MAX_LISTED = 20;

function listShort(ids: string[]): string {
  return ids.length <= MAX_LISTED ? ids.join('; ') : `${ids.slice(0, MAX_LISTED).join('; ')}; … (${ids.length - MAX_LISTED} more)`;
}

async function track<T extends VerifyCheck>(ctx: Ctx, label: string, fn: () => Promise<T>): Promise<T> {
  ctx.step += 1;
  const index = ctx.step;
  const started = performance.now();
  ctx.opts.progress?.({ index, total: ctx.total, label, phase: 'start' });
  const check = await fn();
  ctx.checks.push(check);
  ctx.opts.progress?.({
    index, total: ctx.total, label, phase: 'end', ok: check.ok,
    ...(check.detail ? { detail: check.detail } : {}),
    elapsedMs: performance.now() - started,
  });
  return check;
}

function freshDir(ctx: Ctx, name: string): string {
  ctx.seq += 1;
  return path.join(ctx.tmp, `${String(ctx.seq).padStart(4, '0')}-${name}`);
}

function gitEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GIT_')) env[k] = v;
  env.GIT_CEILING_DIRECTORIES = path.dirname(dir);
  return env;
}

/** Static checks of one bug's fix: present, recorded sha, LF only, touches only its listed files and nothing grading restores. */
async function staticProblems(bug: BugEntry, fixesDir: string, inventory: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  let patch: Buffer;
  try {
    patch = await readFix(bug, fixesDir);
  } catch (err) {
    return [(err as Error).message];
  }
  if (patch.includes(0x0d)) problems.push(`${bug.fix} has CR characters: fix patches are LF only`);
  const touched = patchedFiles(patch.toString('utf8'));
  if (touched.length === 0) problems.push(`${bug.fix} changes no file`);
  for (const f of touched) {
    if (PROTECTED.some((re) => re.test(f))) problems.push(`${bug.fix} changes ${f}, which grading restores: a fix may only touch source files`);
    if (!bug.files.includes(f)) problems.push(`${bug.fix} changes ${f}, which is not in the entry's "files"`);
  }
  for (const f of bug.files) if (!touched.includes(f)) problems.push(`"files" lists ${f}, which ${bug.fix} does not change`);
  for (const id of bug.failToPass) if (!inventory.has(id)) problems.push(`failToPass test is not in the pristine suite: ${id}`);
  return problems;
}

/** One suite run of a tree; the not-passed set is compared with what should fail. */
async function suiteCheck(
  ctx: Ctx,
  base: { step: VerifyCheck['step']; label: string; bug?: string; run: number },
  dir: string,
  expected: string[],
  shouldFail: ReadonlySet<string>,
  files?: string[],
): Promise<VerifyCheck> {
  const run = await runSuite({
    dir,
    expected,
    ...(files ? { files } : {}),
    ...(ctx.opts.runner ? { runner: ctx.opts.runner } : {}),
    ...(ctx.opts.env ? { env: ctx.opts.env } : {}),
    ...(ctx.opts.timeoutMs ? { timeoutMs: ctx.opts.timeoutMs } : {}),
  });
  if (run.infraError) {
    // a verification on a broken machine proves nothing either way: stop, do not record a verdict
    throw new GraderError('GRADER_ERR_INFRA', `${base.label}: ${run.infraError.message}`, { details: run.infraError });
  }
  return compare(base, run.results, shouldFail, run.timedOut);
}

export function compare(base: { step: VerifyCheck['step']; label: string; bug?: string; run: number }, results: Results, shouldFail: ReadonlySet<string>, timedOut = false): VerifyCheck {
  const notPassed = results.tests.filter((t) => t.status !== 'passed');
  const unexpectedFailures = notPassed.filter((t) => !shouldFail.has(t.id)).map((t) => (t.message ? `${t.id} [${t.status}: ${t.message.split('\n')[0]}]` : `${t.id} [${t.status}]`));
  const failedIds = new Set(notPassed.map((t) => t.id));
  const unexpectedPasses = [...shouldFail].filter((id) => !failedIds.has(id)).sort();
  const ok = unexpectedFailures.length === 0 && unexpectedPasses.length === 0 && !timedOut;
  const parts: string[] = [];
  if (timedOut) parts.push('the suite timed out');
  if (unexpectedFailures.length > 0) parts.push(`${unexpectedFailures.length} unexpected failure(s): ${listShort(unexpectedFailures)}`);
  if (unexpectedPasses.length > 0) parts.push(`${unexpectedPasses.length} failToPass test(s) passed: ${listShort(unexpectedPasses)}`);
  return {
    ...base,
    ok,
    ...(parts.length > 0 ? { detail: parts.join(' | ') } : {}),
    ...(unexpectedFailures.length > 0 ? { unexpectedFailures } : {}),
    ...(unexpectedPasses.length > 0 ? { unexpectedPasses } : {}),
  };
}

/**
 * DESIGN.md's validation of the manifest:
 *  (1) every fix applies to the shipped target alone, and all fixes apply together in manifest
 *      order and in reverse;
 *  (2) with every fix applied the whole suite passes, k times;
 *  (3) for each bug, the tree with only that bug present fails exactly its failToPass, k times
 *      (quick: one run of only the files holding its failToPass tests — faster, but a stray failure
 *      the bug causes in another file goes unseen);
 *  (4) the shipped target fails exactly the union of every active bug's failToPass.
 * A bug is validated when its own checks (static, applies alone, (3) k/k) and (2) pass; (1)'s
 * combined application and (4) are manifest-wide and fail the verification without voiding it.
 * Writes `validation` into each verified entry (removes it from entries that failed) and a report.
 */
export async function verify(opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const clock = opts.clock ?? (() => new Date());
  const date = clock().toISOString();
  const quick = opts.quick === true;
  const repeat = quick ? 1 : opts.repeat ?? 3;
  if (!Number.isInteger(repeat) || repeat < 1) throw new GraderError('GRADER_ERR_INVALID_OPTION', `repeat must be an integer ≥ 1, got ${String(opts.repeat)}`);
  const liveTargetDir = path.resolve(opts.targetDir ?? DEFAULT_TARGET_DIR);
  const manifestPath = path.resolve(opts.manifestPath ?? DEFAULT_MANIFEST_PATH);
  const fixesDir = path.resolve(opts.fixesDir ?? defaultFixesDir(manifestPath));
  const manifest = await loadManifest(manifestPath);
  const selected = opts.bugs ? selectBugs(manifest, opts.bugs) : activeBugs(manifest);
  const all = activeBugs(manifest);
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
    opts, targetDir, manifestPath, fixesDir, manifest, tmp,
    nodeModules: opts.nodeModulesDir ?? defaultNodeModules(liveTargetDir),
    checks: [], step: 0, seq: 0,
    total: 3 + repeat + selected.length * repeat + (checkShipped ? repeat : 0),
  };
  const problems = new Map<string, string[]>(selected.map((b) => [b.id, []]));
  const note = (id: string, p: string): void => void problems.get(id)?.push(p);
  // globalProblems void every bug's validation (the all-fixed suite is the baseline of every
  // per-bug check); manifestProblems (fixes that do not combine, a shipped target that fails more
  // or less than the union) fail the verification without voiding bugs that verified on their own.
  const globalProblems: string[] = [];
  const manifestProblems: string[] = [];

  try {
    // inventory first: the static checks need it, and it is the one step that may run the suite unasked
    let inventory: string[] = [];
    await track(ctx, 'inventory of the pristine suite', async () => {
      const inv = await inventoryDetails({
        targetDir, manifestPath, fixesDir, manifest, nodeModulesDir: ctx.nodeModules,
        ...(opts.runner ? { runner: opts.runner } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.preflight ? { preflight: opts.preflight } : {}),
      });
      inventory = inv.tests;
      return { step: 'inventory', label: 'inventory', ok: inventory.length > 0, detail: `${inventory.length} tests${inv.cached ? ' (cached)' : ''}` };
    });
    if (inventory.length === 0) globalProblems.push('the pristine suite has no tests');
    const inventorySet = new Set(inventory);

    await track(ctx, `static checks of ${selected.length} fix patch(es)`, async () => {
      const bad: string[] = [];
      for (const bug of selected) {
        for (const p of await staticProblems(bug, fixesDir, inventorySet)) {
          note(bug.id, p);
          bad.push(`${bug.id}: ${p}`);
        }
      }
      return { step: 'static', label: 'static', ok: bad.length === 0, ...(bad.length > 0 ? { detail: listShort(bad) } : {}) };
    });

    await track(ctx, 'fixes apply alone and together', async () => {
      const bad: string[] = [];
      const shipped = freshDir(ctx, 'shipped-copy');
      await copyTarget(targetDir, shipped);
      for (const bug of selected) {
        const r = await execa('git', ['apply', '--check', '--whitespace=nowarn', '-p1', path.resolve(fixPath(bug, fixesDir))], { cwd: shipped, env: gitEnv(shipped), extendEnv: false, reject: false, stdin: 'ignore' });
        if (r.exitCode !== 0) {
          const p = `fix does not apply to the shipped target alone: ${r.stderr.trim()}`;
          note(bug.id, p);
          bad.push(`${bug.id}: ${p}`);
        }
      }
      await rm(shipped, { recursive: true, force: true });
      for (const [name, order] of [['manifest order', all], ['reverse order', [...all].reverse()]] as const) {
        const dir = freshDir(ctx, 'together');
        await copyTarget(targetDir, dir);
        for (const bug of order) {
          try {
            await applyFix(dir, bug, fixesDir);
          } catch (err) {
            const p = `all fixes together (${name}): ${(err as Error).message}`;
            bad.push(p);
            manifestProblems.push(p);
            break;
          }
        }
        await rm(dir, { recursive: true, force: true });
      }
      return { step: 'apply', label: 'apply', ok: bad.length === 0, ...(bad.length > 0 ? { detail: listShort(bad) } : {}) };
    });

    // (2) every bug fixed: everything passes, k times
    const fixedDir = freshDir(ctx, 'all-fixed');
    let fixedReady = true;
    try {
      await materialize({ bugs: 'none', out: fixedDir, targetDir, manifestPath, fixesDir, manifest, linkNodeModules: ctx.nodeModules });
    } catch (err) {
      fixedReady = false;
      globalProblems.push(`cannot build the all-fixed tree: ${(err as Error).message}`);
    }
    for (let run = 1; run <= repeat; run += 1) {
      const label = `all fixed: whole suite passes (run ${run}/${repeat})`;
      const check = await track(ctx, label, async () =>
        fixedReady
          ? suiteCheck(ctx, { step: 'all-fixed', label, run }, fixedDir, inventory, new Set())
          : { step: 'all-fixed' as const, label, run, ok: false, detail: 'the all-fixed tree could not be built' });
      if (!check.ok && fixedReady) globalProblems.push(`${label}: ${check.detail ?? 'failed'}`);
    }
    await rm(fixedDir, { recursive: true, force: true });

    // (3) each bug alone
    const stabilities = new Map<string, number>();
    for (const bug of selected) {
      const dir = freshDir(ctx, `only-${bug.id}`);
      let ready = true;
      try {
        await materialize({ bugs: [bug.id], out: dir, targetDir, manifestPath, fixesDir, manifest, linkNodeModules: ctx.nodeModules });
      } catch (err) {
        ready = false;
        note(bug.id, `cannot build the tree with only ${bug.id}: ${(err as Error).message}`);
      }
      const files = quick ? [...new Set(bug.failToPass.map(testPathOf))].sort() : undefined;
      const shouldFail = new Set(bug.failToPass);
      let good = 0;
      for (let run = 1; run <= repeat; run += 1) {
        const label = `only ${bug.id} present: exactly its ${bug.failToPass.length} failToPass test(s) fail${quick ? ` (in ${files?.length} file(s))` : ''} (run ${run}/${repeat})`;
        const check = await track(ctx, label, async () =>
          ready
            ? suiteCheck(ctx, { step: 'bug', label, bug: bug.id, run }, dir, inventory, shouldFail, files)
            : { step: 'bug' as const, label, bug: bug.id, run, ok: false, detail: 'tree not built' });
        if (check.ok) good += 1;
        else if (ready) note(bug.id, `run ${run}/${repeat}: ${check.detail ?? 'failed'}`);
      }
      stabilities.set(bug.id, good);
      await rm(dir, { recursive: true, force: true });
    }

    // (4) the shipped target fails exactly the union
    if (checkShipped) {
      const dir = freshDir(ctx, 'shipped');
      let ready = true;
      try {
        await materialize({ bugs: 'all', out: dir, targetDir, manifestPath, fixesDir, manifest, linkNodeModules: ctx.nodeModules });
      } catch (err) {
        ready = false;
        manifestProblems.push(`cannot copy the shipped target: ${(err as Error).message}`);
      }
      const union = new Set(all.flatMap((b) => b.failToPass));
      for (let run = 1; run <= repeat; run += 1) {
        const label = `shipped target: exactly the union of failToPass (${union.size}) fails (run ${run}/${repeat})`;
        const check = await track(ctx, label, async () =>
          ready ? suiteCheck(ctx, { step: 'shipped', label, run }, dir, inventory, union) : { step: 'shipped' as const, label, run, ok: false, detail: 'tree not built' });
        if (!check.ok && ready) manifestProblems.push(`${label}: ${check.detail ?? 'failed'}`);
      }
      await rm(dir, { recursive: true, force: true });
    }

    const bugs: Record<string, BugVerdict> = {};
    const updates = new Map<string, BugValidation | null>();
    for (const bug of selected) {
      const own = problems.get(bug.id) ?? [];
      const good = stabilities.get(bug.id) ?? 0;
      const ok = own.length === 0 && globalProblems.length === 0 && good === repeat;
      const stability = `${good}/${repeat}`;
      const verdict: BugVerdict = { ok, stability, problems: [...own, ...globalProblems.map((p) => `(global) ${p}`)] };
      if (ok) {
        verdict.validation = { runs: repeat, stability, date, graderVersion: GRADER_VERSION, mode: quick ? 'quick' : 'full' };
        updates.set(bug.id, verdict.validation);
      } else {
        updates.set(bug.id, null);
      }
      bugs[bug.id] = verdict;
    }
    const ok = globalProblems.length === 0 && manifestProblems.length === 0 && Object.values(bugs).every((b) => b.ok) && ctx.checks.every((c) => c.ok);
    const report: VerifyReport = {
      ok, graderVersion: GRADER_VERSION, date, mode: quick ? 'quick' : 'full', repeat,
      target: liveTargetDir, targetHash, manifest: manifestPath, inventorySize: inventory.length,
      problems: [...globalProblems, ...manifestProblems], bugs, checks: ctx.checks, durationMs: Math.round(performance.now() - started),
    };
    if (opts.write !== false) {
      if (updates.size > 0) await writeValidations(manifestPath, updates);
      const reportFile = path.resolve(opts.reportPath ?? path.join(path.dirname(manifestPath), 'verify-report.json'));
      report.reportFile = reportFile;
      await writeFile(reportFile, `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(reportFile.replace(/\.json$/, '') + '.md', renderReport(report));
    }
    return report;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The human summary (also what the CLI prints without --json). */
export function renderReport(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`# Manifest verification: ${r.ok ? 'PASSED' : 'FAILED'}`, '');
  lines.push(`- date: ${r.date}`, `- target: ${r.target} (sha256 ${r.targetHash})`, `- grader: ${r.graderVersion}`, `- mode: ${r.mode}, ${r.repeat} run(s) per check`);
  lines.push(`- pristine suite: ${r.inventorySize} tests`, `- duration: ${(r.durationMs / 1000).toFixed(1)} s`, '');
  if (r.problems.length > 0) {
    lines.push('## Manifest-wide problems', '');
    for (const p of r.problems) lines.push(`- ${p.replace(/\n/g, ' ')}`);
    lines.push('');
  }
  const ids = Object.keys(r.bugs);
  if (ids.length > 0) {
    lines.push('| bug | verdict | stability | problems |', '|---|---|---|---|');
    for (const id of ids) {
      const b = r.bugs[id]!;
      const own = b.problems.filter((p) => !p.startsWith('(global)'));
      lines.push(`| ${id} | ${b.ok ? 'ok' : 'FAILED'} | ${b.stability} | ${own.map((p) => p.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join('<br>') || ''} |`);
    }
    lines.push('');
  }
  const failed = r.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    lines.push('## Failed checks', '');
    for (const c of failed) lines.push(`- ${c.label}: ${c.detail ?? 'failed'}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

export async function readReport(file: string): Promise<VerifyReport> {
  return JSON.parse(await readFile(file, 'utf8')) as VerifyReport;
}
