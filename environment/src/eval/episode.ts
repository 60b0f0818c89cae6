import { EPISODE_RECORD_SCHEMA, type EpisodeOutcome, type EpisodeRecord } from '@datanexus/grader';
import { EnvClient, EnvClientError } from '../client/client.ts';
import type { Action } from '../schemas/actions.ts';
import type { ResetResponseT, RewardResponseT, StepResponseT } from '../schemas/api.ts';
import type { HostManifest } from './host-manifest.ts';
import { AgentProtocolError } from './agents/external.ts';
import type { Agent, AgentSession, StepFeedback } from './agents/types.ts';

// One evaluated episode over the HTTP API: reset, let the agent act until the episode ends,
// and turn the final grade into a run record. What the server refuses (4xx on an action) goes
// back to the agent; what the infrastructure fails (503, a vanished episode) is retried a little,
// then recorded as infra-error with no reward — never as a 0.

export interface EpisodeJob {
  runId: string;
  task: string;
  seed: number;
  episode: number;
  maxSteps?: number;
}

const INFRA_RETRIES = 2;
/** Refused actions use no step; past this many, the runner submits for the agent. */
const MAX_REFUSALS = 20;

class InfraFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function isAgentFault(e: EnvClientError): boolean {
  return e.status === 400 || e.status === 413 || e.status === 415;
}

async function stepWithRetry(client: EnvClient, episodeId: string, action: Action): Promise<StepResponseT> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await client.step(episodeId, action);
    } catch (err) {
      if (!(err instanceof EnvClientError)) throw new InfraFailure('ENV_ERR_CLIENT', (err as Error).message);
      if (isAgentFault(err)) throw err;
      // a 503 leaves the episode as it was (a submit that hit one does not end it): try again
      if (err.status === 503 && attempt < INFRA_RETRIES) continue;
      throw new InfraFailure(err.code, err.message);
    }
  }
}

interface Played {
  final: StepResponseT;
  steps: number;
  agentError?: { code: string; message: string };
}

async function play(client: EnvClient, session: AgentSession, reset: ResetResponseT): Promise<Played> {
  let last: StepFeedback | null = null;
  let refusals = 0;
  let agentError: Played['agentError'];
  for (;;) {
    let action: Action;
    try {
      action = agentError ? { type: 'submit' } : await session.next(last);
    } catch (err) {
      if (!(err instanceof AgentProtocolError)) throw err;
      agentError = { code: err.code, message: err.message };
      action = { type: 'submit' };
    }
    let res: StepResponseT;
    try {
      res = await stepWithRetry(client, reset.episodeId, action);
    } catch (err) {
      if (!(err instanceof EnvClientError)) throw err;
      // the runner's own submit refused: nothing an agent can do about it, so it must not loop
      if (agentError && action.type === 'submit') throw new InfraFailure(err.code, `the server refused the runner's submit: ${err.message}`);
      refusals += 1;
      if (refusals > MAX_REFUSALS) agentError ??= { code: 'AGENT_REFUSED', message: `${refusals} actions refused by the server; the last: ${err.code}: ${err.message}` };
      last = { kind: 'refused', status: err.status, code: err.code, message: err.message };
      continue;
    }
    last = { kind: 'step', response: res };
    if (res.terminated || res.truncated) return { final: res, steps: res.info.step, ...(agentError ? { agentError } : {}) };
  }
}

function outcomeOf(grade: RewardResponseT['report']['grade']): EpisodeOutcome {
  const o = grade.outcome;
  return o === 'resolved' || o === 'unresolved' || o === 'rejected' ? o : 'infra-error';
}

export async function runEpisode(client: EnvClient, agent: Agent, job: EpisodeJob, manifest: Pick<HostManifest, 'bugsOf' | 'fixOf'>): Promise<EpisodeRecord> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const bugs = manifest.bugsOf(job.task);
  const base = {
    schema: EPISODE_RECORD_SCHEMA, runId: job.runId, agent: { name: agent.name, version: agent.version },
    task: job.task, taskBugs: bugs, seed: job.seed, episode: job.episode, startedAt,
  } as const;
  let reset: ResetResponseT | undefined;
  let session: AgentSession | undefined;
  let steps = 0;
  try {
    reset = await client.reset({ task: job.task, seed: job.seed, ...(job.maxSteps ? { options: { maxSteps: job.maxSteps } } : {}) });
    session = await agent.start({ task: job.task, seed: job.seed, reset, bugs, fixOf: (id) => manifest.fixOf(id) });
    const played = await play(client, session, reset);
    steps = played.steps;
    const report = played.final.info.grade ?? (await client.reward(reset.episodeId)).report;
    const outcome = outcomeOf(report.grade);
    const g = report.grade;
    const record: EpisodeRecord = {
      ...base, taskHash: reset.info.taskHash, envVersion: reset.info.envVersion, graderVersion: g.graderVersion, sandbox: reset.info.sandbox, mode: g.mode,
      steps, maxSteps: reset.info.maxSteps, wallMs: Math.round(performance.now() - t0), outcome,
      reward: outcome === 'infra-error' ? null : g.reward,
      breakdown: outcome === 'infra-error' ? null : {
        weightedPassRate: g.weightedPassRate, base: g.base, categoryBonus: g.categoryBonus, chaosBonus: g.chaosBonus,
        bugBonus: g.bugBonus, efficiencyBonus: g.efficiencyBonus, regressionPenalty: g.regressionPenalty,
      },
      categories: g.categories, bugsFixed: [...g.bugsFixed].sort(), endedBy: played.final.terminated ? 'submit' : 'budget',
      ...(report.brokenRun ? { brokenRun: report.brokenRun } : {}),
      ...(played.agentError ? { error: played.agentError } : {}),
    };
    await session.end({ outcome, reward: record.reward, steps });
    return record;
  } catch (err) {
    const code = err instanceof InfraFailure || err instanceof EnvClientError ? err.code : 'ENV_ERR_INTERNAL';
    const message = (err as Error).message;
    await session?.end({ outcome: 'infra-error', reward: null, steps }).catch(() => {});
    if (reset) await client.close(reset.episodeId).catch(() => {}); // frees the sandbox and namespace
    return {
      ...base, taskHash: reset?.info.taskHash ?? null, envVersion: reset?.info.envVersion ?? null, graderVersion: reset?.info.graderVersion ?? null,
      sandbox: reset?.info.sandbox ?? null, mode: reset?.info.mode ?? null, steps, maxSteps: reset?.info.maxSteps ?? null,
      wallMs: Math.round(performance.now() - t0), outcome: 'infra-error', reward: null, breakdown: null, categories: null, bugsFixed: [],
      endedBy: 'none', error: { code, message },
    };
  }
}
