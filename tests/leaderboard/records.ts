import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EPISODE_RECORD_SCHEMA, type EpisodeOutcome, type EpisodeRecord } from '../../grader/src/leaderboard/index.ts';

// Records written the way `datanexus-env eval` writes them, for the leaderboard's own tests
// (the eval tests make real ones against a server).

export const BUGS = {
  L5: { id: 'L5', class: 'logic', service: 'shared' },
  X5: { id: 'X5', class: 'security', service: 'gateway' },
  P1: { id: 'P1', class: 'performance', service: 'query-engine' },
} as const;

export function record(over: Partial<EpisodeRecord> & { outcome: EpisodeOutcome; task: keyof typeof TASK_BUGS | 'full' }): EpisodeRecord {
  const infra = over.outcome === 'infra-error';
  const resolved = over.outcome === 'resolved';
  const taskBugs = over.task === 'full' ? Object.values(BUGS) : [TASK_BUGS[over.task]];
  return {
    schema: EPISODE_RECORD_SCHEMA, runId: 'run-a', agent: { name: 'oracle', version: '1' }, taskHash: `hash-${over.task}`, taskBugs,
    seed: 0, episode: 0, envVersion: '0.1.0', graderVersion: '0.3.0', sandbox: 'bwrap', mode: 'resolved', steps: resolved ? 2 : 1, maxSteps: 100,
    wallMs: 1000, startedAt: '2026-12-01T00:00:00.000Z', reward: infra ? null : resolved ? 1 : 0,
    breakdown: infra ? null : { weightedPassRate: 1, base: 0, categoryBonus: 0, chaosBonus: 0, bugBonus: 0, efficiencyBonus: 0, regressionPenalty: 0 },
    categories: infra ? null : { unit: { passed: resolved ? 10 : 9, total: 10 }, security: { passed: resolved ? 4 : 2, total: 4 } },
    bugsFixed: resolved ? taskBugs.map((b) => b.id) : [], endedBy: infra ? 'none' : 'submit',
    ...(infra ? { error: { code: 'ENV_ERR_INFRA', message: 'sandbox could not start' } } : {}),
    ...over,
  } as EpisodeRecord;
}

const TASK_BUGS = { 'bug:L5': BUGS.L5, 'bug:X5': BUGS.X5, 'bug:P1': BUGS.P1 } as const;

export async function writeRun(dir: string, records: EpisodeRecord[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'episodes.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return dir;
}

/** An oracle that resolves everything, a noop that resolves nothing, and a noop with one infra error. */
export function twoAgents(): { oracle: EpisodeRecord[]; noop: EpisodeRecord[] } {
  const tasks = ['bug:L5', 'bug:X5', 'bug:P1'] as const;
  return {
    oracle: tasks.map((task) => record({ task, outcome: 'resolved' })),
    noop: tasks.map((task, i) => record({ task, outcome: i === 2 ? 'infra-error' : 'unresolved', runId: 'run-b', agent: { name: 'noop', version: '1' } })),
  };
}
