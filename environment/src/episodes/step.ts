import { runAction, type ActionContext } from '../actions/index.ts';
import { EnvError } from '../errors.ts';
import type { GradeReport } from '../grading/service.ts';
import type { Action } from '../schemas/actions.ts';
import type { EpisodeStatusT, StepResponseT } from '../schemas/api.ts';
import type { StepObservation, SubmitObs } from '../schemas/observations.ts';
import { canonicalJson, sha256 } from '../util.ts';
import type { Episode } from './episode.ts';
import { iso } from './info.ts';
import type { EpisodeServiceDeps } from './service.ts';

/** Ends an episode with its final grade (or none) and frees its resources. */
export type EndEpisode = (ep: Episode, status: EpisodeStatusT, report: GradeReport | undefined) => Promise<void>;

export function actionContext(d: EpisodeServiceDeps, ep: Episode): ActionContext {
  const r = ep.resources!;
  return {
    roots: { root: r.workspace, nodeModules: d.options.nodeModulesDir },
    backend: d.backend,
    uid: r.uid?.uid ?? null,
    env: r.env,
    mounts: r.mounts,
    options: d.options,
    grading: d.grading,
    redact: (t) => ep.redact(t),
    signal: ep.abort.signal,
  };
}

/**
 * One step: the action, or the final grade (submit, or the step that uses up the budget). A run
 * the agent's code broke is a grade like any other (every test missing), so the last step always
 * carries its grade; only an infrastructure failure leaves the grade pending for the next request.
 */
export async function runStep(d: EpisodeServiceDeps, ep: Episode, action: Action, end: EndEpisode): Promise<StepResponseT> {
  const started = performance.now();
  const startedAt = iso(d.options.clock.now());
  let observation: StepObservation;
  let report: GradeReport | undefined;
  let terminated = false;
  let truncated = false;

  if (ep.gradePending) {
    // The budget ran out on the last step but its grade failed: this request only grades.
    report = await gradeEpisode(d, ep, ep.steps, 'final');
    observation = submitObservation(report);
    truncated = true;
  } else if (action.type === 'submit') {
    report = await gradeEpisode(d, ep, ep.steps + 1, 'final');
    if (ep.status !== 'running') throw new EnvError('ENV_ERR_EPISODE_EXPIRED', `episode ${ep.id} was ${ep.status} while it was graded`);
    ep.steps += 1;
    observation = submitObservation(report);
    terminated = true;
  } else {
    observation = await runAction(actionContext(d, ep), action);
    if (ep.status !== 'running') throw new EnvError('ENV_ERR_EPISODE_EXPIRED', `episode ${ep.id} was ${ep.status} while the action ran`);
    ep.steps += 1;
    if (ep.steps >= ep.maxSteps) {
      try {
        report = await gradeEpisode(d, ep, ep.steps, 'final');
      } catch (err) {
        ep.gradePending = true;
        recordStep(d, ep, { action, observation, reward: 0, terminated: false, truncated: false, startedAt, durationMs: performance.now() - started });
        throw err;
      }
      truncated = true;
    }
  }
  const reward = report ? report.grade.reward : 0;
  if (terminated || truncated) await end(ep, terminated ? 'terminated' : 'truncated', report);
  const durationMs = performance.now() - started;
  if (!ep.gradePending || !truncated) recordStep(d, ep, { action, observation, reward, terminated, truncated, startedAt, durationMs });
  ep.gradePending = false;
  d.log.info({ episodeId: ep.id, task: ep.task.id, event: 'step', step: ep.steps, action: action.type, ok: 'ok' in observation ? observation.ok : undefined, reward, terminated, truncated, durationMs }, 'step');
  return { observation, reward, terminated, truncated, info: { step: ep.steps, maxSteps: ep.maxSteps, durationMs, ...(report ? { grade: report } : {}) } };
}

interface StepRecord {
  action: Action;
  observation: StepObservation;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  startedAt: string;
  durationMs: number;
}

function recordStep(d: EpisodeServiceDeps, ep: Episode, s: StepRecord): void {
  d.store.recordStep({
    episodeId: ep.id, index: ep.steps, action: s.action, observationDigest: sha256(canonicalJson(s.observation)),
    reward: s.reward, terminated: s.terminated, truncated: s.truncated, startedAt: s.startedAt, durationMs: s.durationMs,
  });
}

export async function gradeEpisode(d: EpisodeServiceDeps, ep: Episode, steps: number, kind: 'reward' | 'final'): Promise<GradeReport> {
  const report = await d.grading.grade({
    task: ep.task, tree: ep.tree!, workspace: ep.resources!.workspace, steps, maxSteps: ep.maxSteps, signal: ep.abort.signal,
  });
  d.store.recordGrade({
    episodeId: ep.id, step: steps, kind, contentHash: report.contentHash, reward: report.grade.reward,
    outcome: report.grade.outcome, cached: report.cached, durationMs: report.durationMs, grade: report.grade,
  });
  d.log.info({ episodeId: ep.id, event: 'grade', kind, step: steps, reward: report.grade.reward, outcome: report.grade.outcome, cached: report.cached, durationMs: report.durationMs }, 'graded');
  return report;
}

function submitObservation(report: GradeReport): SubmitObs {
  return {
    type: 'submit',
    ok: true,
    outcome: report.grade.outcome,
    ...(report.grade.rejection ? { rejection: report.grade.rejection } : {}),
    reward: report.grade.reward,
    bugsFixed: report.grade.bugsFixed,
    counts: report.summary,
    ...gradeNotices(report),
  };
}

/** What the agent should know about how its workspace was graded, beyond the counts. */
function gradeNotices(report: GradeReport): { notices?: string[] } {
  const notices = report.refusedChanges.map((r) => `refused ${r.path}: ${r.reason}`);
  if (report.brokenRun !== undefined) notices.push(`the test run was broken by the code under test, every test counts as missing: ${report.brokenRun.split('\n')[0]}`);
  return notices.length > 0 ? { notices } : {};
}
