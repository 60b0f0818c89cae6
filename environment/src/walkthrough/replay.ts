import { EnvClient } from '../client/client.ts';
import { EnvError } from '../errors.ts';
import type { RewardResponseT } from '../schemas/api.ts';
import type { WalkthroughPlan } from './plan.ts';

// Replays a walkthrough over the HTTP API: reset the scenario's task, grade the untouched
// workspace (the baseline point), then apply each gold fix as a `patch` action and grade after it
// (POST /v1/reward), and finally submit. Each point is what the server answered, nothing computed
// here, so the curve is the environment's own. With `blocks`, a grade follows only the last fix of
// each masking group: inside a group the curve says little ("masked"), and each grade there costs
// a nearly whole suite of failing tests.

export interface CurvePoint {
  /** 0 for the starting workspace, then 1, 2, … per fix. */
  step: number;
  /** The bug whose fix was just applied (null for the start); with blocks, the last of its block. */
  bug: string | null;
  /** Every fix applied since the previous point (one bug, or a whole block). */
  fixes: string[];
  service: string | null;
  reward: number;
  weightedPassRate: number;
  passed: number;
  total: number;
  /** Bugs of the task counted as fixed (all their failToPass tests pass). */
  bugsFixed: number;
  /** The bug just fixed counts as fixed already (false while a bug masking it is present). */
  showsFixed: boolean | null;
}

export interface WalkthroughResult {
  task: string;
  taskHash: string;
  bugs: number;
  points: CurvePoint[];
  final: { reward: number; outcome: string; passed: number; total: number; steps: number };
}

function point(step: number, fixes: string[], plan: WalkthroughPlan, r: RewardResponseT): CurvePoint {
  const g = r.report.grade;
  const bug = fixes.at(-1) ?? null;
  return {
    step, bug, fixes, service: bug ? plan.serviceOf[bug] ?? null : null,
    reward: g.reward, weightedPassRate: g.weightedPassRate, passed: r.report.summary.passed, total: r.report.summary.total,
    bugsFixed: g.bugsFixed.length, showsFixed: bug ? g.bugsFixed.includes(bug) : null,
  };
}

export async function replayWalkthrough(opts: {
  url: string;
  plan: WalkthroughPlan;
  fixOf: (id: string) => Promise<string>;
  onPoint?: (p: CurvePoint) => void;
  seed?: number;
  /** Grade only after the last fix of each masking group. */
  blocks?: boolean;
}): Promise<WalkthroughResult> {
  const { plan } = opts;
  const client = new EnvClient({ baseUrl: opts.url });
  const listed = (await client.tasks()).tasks.map((t) => t.id);
  if (!listed.includes(plan.task)) throw new EnvError('ENV_ERR_UNKNOWN_TASK', `the server at ${opts.url} does not offer ${plan.task} (GET /v1/tasks lists ${listed.length} tasks)`);
  // one patch per bug, one submit; twice that, so the budget never ends the replay early
  const reset = await client.reset({ task: plan.task, seed: opts.seed ?? 0, options: { maxSteps: 2 * (plan.order.length + 1) } });
  const id = reset.episodeId;
  try {
    const points: CurvePoint[] = [];
    const record = (p: CurvePoint): void => {
      points.push(p);
      opts.onPoint?.(p);
    };
    record(point(0, [], plan, await client.reward(id)));
    const gradeAfter = opts.blocks ? blockEnds(plan) : new Set(plan.order);
    let fixes: string[] = [];
    for (const [i, bug] of plan.order.entries()) {
      const res = await client.step(id, { type: 'patch', diff: await opts.fixOf(bug) });
      if (res.observation.type === 'patch' && !res.observation.ok) {
        throw new EnvError('ENV_ERR_INTERNAL', `the gold fix of ${bug} did not apply: ${res.observation.error?.code ?? '?'}: ${res.observation.error?.message ?? ''}`);
      }
      fixes.push(bug);
      if (!gradeAfter.has(bug)) continue;
      record(point(i + 1, fixes, plan, await client.reward(id)));
      fixes = [];
    }
    const end = await client.step(id, { type: 'submit' });
    const grade = end.info.grade!;
    return {
      task: plan.task, taskHash: reset.info.taskHash, bugs: plan.order.length, points,
      final: { reward: grade.grade.reward, outcome: grade.grade.outcome, passed: grade.summary.passed, total: grade.summary.total, steps: end.info.step },
    };
  } catch (err) {
    await client.close(id).catch(() => {});
    throw err;
  }
}

/** The last bug, in fix order, of each masking group (a bug masked by nothing is a group of its own). */
export function blockEnds(plan: Pick<WalkthroughPlan, 'order' | 'groups'>): Set<string> {
  const at = new Map(plan.order.map((id, i) => [id, i]));
  const inGroups = new Set(plan.groups.flat());
  const ends = plan.groups.map((g) => g.reduce((last, id) => (at.get(id)! > at.get(last)! ? id : last)));
  return new Set([...ends, ...plan.order.filter((id) => !inGroups.has(id))]);
}
