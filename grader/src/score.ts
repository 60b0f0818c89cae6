import { CATEGORIES, CATEGORY_HALF_WEIGHTS, type Category } from './categories.ts';
import { GraderError } from './errors.ts';
import { activeBugs, selectBugs, type BugEntry, type Manifest } from './manifest.ts';
import { categoryCounts } from './results.ts';
import type { ScreenFinding } from './screen/screen.ts';
import type { InfraError, Results, TestStatus } from './types.ts';
import { GRADER_VERSION } from './version.ts';

/**
 * Base reward bands (docs/design.md, "Results and reward"): p below `belowPercent` earns `micro` millionths. The last band
 * (0.78) covers everything from 0.85 up to, but not including, "every test passed" (1.00).
 */
export const BASE_BANDS: ReadonlyArray<{ belowPercent: number; micro: number }> = Object.freeze([
  { belowPercent: 10, micro: 0 },
  { belowPercent: 25, micro: 50_000 },
  { belowPercent: 40, micro: 120_000 },
  { belowPercent: 55, micro: 220_000 },
  { belowPercent: 70, micro: 380_000 },
  { belowPercent: 85, micro: 550_000 },
]);
export const BASE_BELOW_ALL_MICRO = 780_000;
export const BASE_ALL_PASSED_MICRO = 1_000_000;
export const CATEGORY_BONUS_MICRO = 30_000;
export const CHAOS_BONUS_MICRO = 100_000;
export const BUG_BONUS_MICRO = 100_000;
export const EFFICIENCY_BONUS_MICRO = 50_000;
export const REGRESSION_PENALTY_MICRO = 150_000;

export interface Grade {
  weightedPassRate: number;
  base: number;
  categoryBonus: number;
  chaosBonus: number;
  bugBonus: number;
  efficiencyBonus: number;
  regressionPenalty: number;
  reward: number;
  categories: Record<Category, { passed: number; total: number }>;
  bugsFixed: string[];
  resolved?: boolean;
  mode: 'reward' | 'resolved';
  graderVersion: string;
  outcome: 'resolved' | 'unresolved' | 'infra-error' | 'rejected';
  /** Set when outcome is 'infra-error': every figure is then NaN (null in JSON), never a score. */
  infraError?: InfraError;
  /** Set when outcome is 'rejected': the change was refused before any test ran, reward 0. */
  rejection?: Rejection;
  /** sha256 of the graded tree (hashTree), when the caller knows it. */
  contentHash?: string;
  /** Test ids that passed in the baseline and do not pass now (why the penalty applies). */
  regressions?: string[];
}

/** Why a change was refused: the screen's findings (file, line, rule) in the agent's own source. */
export interface Rejection {
  reason: 'tampering';
  findings: ScreenFinding[];
}

export interface ScoreOptions {
  manifest: Manifest;
  baseline?: Results;
  steps?: number;
  maxSteps?: number;
  mode?: 'reward' | 'resolved';
  /** The bugs the task is about (a scenario, one bug). They are the bonus pool and what `resolved` checks; default: every active bug. */
  taskBugs?: string[];
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const fromMicro = (micro: number): number => micro / 1e6;

function isNonNegativeInteger(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

/** Base reward for a weighted pass rate N/D, compared with the band limits exactly (integers). */
function baseMicro(num: number, den: number, allPassed: boolean): number {
  if (allPassed) return BASE_ALL_PASSED_MICRO;
  if (den === 0) return 0;
  for (const band of BASE_BANDS) if (num * 100 < band.belowPercent * den) return band.micro;
  return BASE_BELOW_ALL_MICRO;
}

/** The weighted pass rate's numerator and denominator (in half-weights), the tests passed, and the category bonus in millionths. */
function weighCategories(categories: ReturnType<typeof categoryCounts>): { num: number; den: number; passedCount: number; categoryMicro: number } {
  let num = 0;
  let den = 0;
  let passedCount = 0;
  let categoryMicro = 0;
  for (const c of CATEGORIES) {
    const { passed: p, total } = categories[c];
    num += CATEGORY_HALF_WEIGHTS[c] * p;
    den += CATEGORY_HALF_WEIGHTS[c] * total;
    passedCount += p;
    if (total > 0 && p === total) categoryMicro += CATEGORY_BONUS_MICRO;
  }
  return { num, den, passedCount, categoryMicro };
}

/**
 * Pure scoring of normalized results, exactly the reward of docs/design.md ("Results and reward"):
 * - p = Σ w·passed / Σ w·total over the tests in `results` (only `passed` counts as passed:
 *   failed, skipped, missing and error do not);
 * - base from the bands; 1.00 only when every test passed (decided by counting, not by p == 1);
 * - +0.03 per category with ≥ 1 test and all passed; +0.10 when chaos has ≥ 1 test and all pass;
 * - +0.10 × fixed/total over the task's active bonus bugs (fixed = every failToPass test passed);
 * - +0.05 when every test passed and steps ≤ maxSteps / 2 (needs both numbers);
 * - −0.15 once when a test that passed in the baseline does not pass now (absent counts as not passed);
 * - reward = base + bonuses − penalty, not clamped. Sums are done in millionths, so figures are exact
 *   to 6 decimals and identical on every machine.
 * In `resolved` mode the breakdown is still reported, but reward is 1 when every failToPass test of
 * the task's bugs passes and nothing regressed, else 0.
 */
export function score(results: Results, opts: ScoreOptions): Grade {
  const mode = opts.mode ?? 'reward';
  if (mode !== 'reward' && mode !== 'resolved') throw new GraderError('GRADER_ERR_INVALID_OPTION', `mode must be "reward" or "resolved", got "${String(mode)}"`);
  if (opts.steps !== undefined && !isNonNegativeInteger(opts.steps)) throw new GraderError('GRADER_ERR_INVALID_OPTION', `steps must be a non-negative integer, got ${String(opts.steps)}`);
  if (opts.maxSteps !== undefined && !isNonNegativeInteger(opts.maxSteps)) throw new GraderError('GRADER_ERR_INVALID_OPTION', `maxSteps must be a non-negative integer, got ${String(opts.maxSteps)}`);

  const status = new Map<string, TestStatus>();
  for (const t of results.tests) {
    if (status.has(t.id)) throw new GraderError('GRADER_ERR_RESULTS_INVALID', `duplicated test id "${t.id}"`);
    status.set(t.id, t.status);
  }
  const passed = (id: string): boolean => status.get(id) === 'passed';

  const categories = categoryCounts(results);
  const { num, den, passedCount, categoryMicro } = weighCategories(categories);
  const allPassed = results.tests.length > 0 && passedCount === results.tests.length;
  const base = baseMicro(num, den, allPassed);
  const chaos = categories.chaos.total > 0 && categories.chaos.passed === categories.chaos.total ? CHAOS_BONUS_MICRO : 0;

  const taskBugs: BugEntry[] = opts.taskBugs ? selectBugs(opts.manifest, opts.taskBugs) : activeBugs(opts.manifest);
  const isFixed = (b: BugEntry): boolean => b.failToPass.length > 0 && b.failToPass.every(passed);
  const bugsFixed = taskBugs.filter(isFixed).map((b) => b.id);
  const bonusPool = taskBugs.filter((b) => b.bonus);
  const bonusFixed = bonusPool.filter(isFixed).length;
  const bug = bonusPool.length === 0 ? 0 : Math.round((BUG_BONUS_MICRO * bonusFixed) / bonusPool.length);

  const efficient = allPassed && opts.steps !== undefined && opts.maxSteps !== undefined && opts.steps * 2 <= opts.maxSteps;
  const efficiency = efficient ? EFFICIENCY_BONUS_MICRO : 0;

  // a test a task bug fails only on some runs may have passed in the baseline by the race alone
  const racy = new Set(taskBugs.flatMap((b) => b.intermittent ?? []));
  const regressions = opts.baseline ? opts.baseline.tests.filter((t) => t.status === 'passed' && !passed(t.id) && !racy.has(t.id)).map((t) => t.id).sort() : [];
  const penalty = regressions.length > 0 ? REGRESSION_PENALTY_MICRO : 0;

  const tasksResolved = taskBugs.every(isFixed) && regressions.length === 0;
  const rewardMicro = base + categoryMicro + chaos + bug + efficiency - penalty;

  const grade: Grade = {
    weightedPassRate: den === 0 ? 0 : round6(num / den),
    base: fromMicro(base),
    categoryBonus: fromMicro(categoryMicro),
    chaosBonus: fromMicro(chaos),
    bugBonus: fromMicro(bug),
    efficiencyBonus: fromMicro(efficiency),
    regressionPenalty: fromMicro(penalty),
    reward: mode === 'resolved' ? (tasksResolved ? 1 : 0) : fromMicro(rewardMicro),
    categories,
    bugsFixed,
    resolved: mode === 'resolved' ? tasksResolved : allPassed,
    mode,
    graderVersion: GRADER_VERSION,
    outcome: (mode === 'resolved' ? tasksResolved : allPassed) ? 'resolved' : 'unresolved',
  };
  if (opts.baseline) grade.regressions = regressions;
  return grade;
}

/** The grade of a run that could not happen: outcome 'infra-error', every figure NaN (JSON null). */
export function infraErrorGrade(error: InfraError, mode: 'reward' | 'resolved' = 'reward'): Grade {
  return {
    weightedPassRate: NaN,
    base: NaN,
    categoryBonus: NaN,
    chaosBonus: NaN,
    bugBonus: NaN,
    efficiencyBonus: NaN,
    regressionPenalty: NaN,
    reward: NaN,
    categories: Object.fromEntries(CATEGORIES.map((c) => [c, { passed: 0, total: 0 }])) as Record<Category, { passed: number; total: number }>,
    bugsFixed: [],
    mode,
    graderVersion: GRADER_VERSION,
    outcome: 'infra-error',
    infraError: { ...error },
  };
}

/**
 * The grade of a change the screen refused: outcome 'rejected', reward 0 and every figure 0 (no
 * test ran, nothing passed), the findings kept for the observation.
 */
export function rejectedGrade(findings: ScreenFinding[], mode: 'reward' | 'resolved' = 'reward'): Grade {
  return {
    weightedPassRate: 0,
    base: 0,
    categoryBonus: 0,
    chaosBonus: 0,
    bugBonus: 0,
    efficiencyBonus: 0,
    regressionPenalty: 0,
    reward: 0,
    categories: Object.fromEntries(CATEGORIES.map((c) => [c, { passed: 0, total: 0 }])) as Record<Category, { passed: number; total: number }>,
    bugsFixed: [],
    resolved: false,
    mode,
    graderVersion: GRADER_VERSION,
    outcome: 'rejected',
    rejection: { reason: 'tampering', findings: findings.map((f) => ({ ...f })) },
  };
}

/** score() for a RunResult: an infrastructure failure gives an 'infra-error' grade, never a 0. */
export function gradeRun(run: { results: Results; infraError?: InfraError }, opts: ScoreOptions): Grade {
  if (run.infraError) return infraErrorGrade(run.infraError, opts.mode ?? 'reward');
  return score(run.results, opts);
}
