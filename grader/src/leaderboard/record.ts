import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { GraderError } from '../errors.ts';
import type { Grade } from '../score.ts';

// The run record: one JSON line per evaluated episode in `<run dir>/episodes.jsonl`, written by
// `datanexus-env eval` and read by `datanexus-grader leaderboard`. It lives in the grader because
// the grader is what judges comparability; the environment imports the type and the schema id.
// A change that readers must notice bumps the version in EPISODE_RECORD_SCHEMA.

export const EPISODE_RECORD_SCHEMA = 'datanexus-eval-episode/1';
export const RUN_META_SCHEMA = 'datanexus-eval-run/1';

/** resolved / unresolved come from the grade; rejected is a grade the environment refused (tampering); infra-error is no grade at all. */
export const OUTCOMES = ['resolved', 'unresolved', 'rejected', 'infra-error'] as const;
export type EpisodeOutcome = (typeof OUTCOMES)[number];

export interface TaskBugInfo {
  id: string;
  class: string;
  service: string;
}

/** The itemized reward of a grade, as the record keeps it. */
export type RewardBreakdown = Pick<Grade, 'weightedPassRate' | 'base' | 'categoryBonus' | 'chaosBonus' | 'bugBonus' | 'efficiencyBonus' | 'regressionPenalty'>;

export interface EpisodeRecord {
  schema: typeof EPISODE_RECORD_SCHEMA;
  runId: string;
  agent: { name: string; version: string };
  task: string;
  /** Content hash of the task's pristine tree (reset info.taskHash); null when reset itself failed. */
  taskHash: string | null;
  taskBugs: TaskBugInfo[];
  seed: number;
  /** 0-based index of this episode among the task's episodes in the run. */
  episode: number;
  envVersion: string | null;
  graderVersion: string | null;
  sandbox: string | null;
  mode: string | null;
  steps: number;
  maxSteps: number | null;
  wallMs: number;
  startedAt: string;
  outcome: EpisodeOutcome;
  /** null for infra-error: an infrastructure failure is never a score of 0. */
  reward: number | null;
  breakdown: RewardBreakdown | null;
  /** Per category: tests passed out of the category's total in the final grade. */
  categories: Record<string, { passed: number; total: number }> | null;
  bugsFixed: string[];
  /** How the episode ended: the agent submitted, the step budget ran out, or it never ended (infra-error). */
  endedBy: 'submit' | 'budget' | 'none';
  brokenRun?: string;
  error?: { code: string; message: string };
}

const count = { type: 'integer', minimum: 0 };
const nullableString = { type: ['string', 'null'] };
const RECORD_JSON_SCHEMA = {
  type: 'object',
  required: ['schema', 'runId', 'agent', 'task', 'taskHash', 'taskBugs', 'seed', 'episode', 'envVersion', 'graderVersion', 'sandbox', 'mode',
    'steps', 'maxSteps', 'wallMs', 'startedAt', 'outcome', 'reward', 'breakdown', 'categories', 'bugsFixed', 'endedBy'],
  additionalProperties: false,
  properties: {
    schema: { const: EPISODE_RECORD_SCHEMA },
    runId: { type: 'string', minLength: 1 },
    agent: { type: 'object', required: ['name', 'version'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, version: { type: 'string' } } },
    task: { type: 'string', minLength: 1 },
    taskHash: nullableString,
    taskBugs: { type: 'array', items: { type: 'object', required: ['id', 'class', 'service'], additionalProperties: false, properties: { id: { type: 'string' }, class: { type: 'string' }, service: { type: 'string' } } } },
    seed: count,
    episode: count,
    envVersion: nullableString,
    graderVersion: nullableString,
    sandbox: nullableString,
    mode: nullableString,
    steps: count,
    maxSteps: { type: ['integer', 'null'], minimum: 0 },
    wallMs: { type: 'number', minimum: 0 },
    startedAt: { type: 'string' },
    outcome: { enum: [...OUTCOMES] },
    reward: { type: ['number', 'null'] },
    breakdown: {
      anyOf: [{ type: 'null' }, {
        type: 'object', additionalProperties: false,
        required: ['weightedPassRate', 'base', 'categoryBonus', 'chaosBonus', 'bugBonus', 'efficiencyBonus', 'regressionPenalty'],
        properties: Object.fromEntries(['weightedPassRate', 'base', 'categoryBonus', 'chaosBonus', 'bugBonus', 'efficiencyBonus', 'regressionPenalty'].map((k) => [k, { type: 'number' }])),
      }],
    },
    categories: {
      anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: { type: 'object', required: ['passed', 'total'], additionalProperties: false, properties: { passed: count, total: count } } }],
    },
    bugsFixed: { type: 'array', items: { type: 'string' } },
    endedBy: { enum: ['submit', 'budget', 'none'] },
    brokenRun: { type: 'string' },
    error: { type: 'object', required: ['code', 'message'], additionalProperties: false, properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;

let compiled: ValidateFunction | undefined;

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(record)'} ${e.message ?? ''}`.trim()).join('; ');
}

/** Checks one parsed line; `where` names it in the error (file:line). */
export function validateEpisodeRecord(data: unknown, where: string): EpisodeRecord {
  compiled ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(RECORD_JSON_SCHEMA);
  if (!compiled(data)) {
    const schema = (data as { schema?: unknown } | null)?.schema;
    const hint = typeof schema === 'string' && schema !== EPISODE_RECORD_SCHEMA ? ` (schema "${schema}"; this grader reads "${EPISODE_RECORD_SCHEMA}")` : '';
    throw new GraderError('GRADER_ERR_RUN_INVALID', `${where}: not an episode record${hint}: ${describeErrors(compiled.errors)}`);
  }
  const rec = data as EpisodeRecord;
  if ((rec.outcome === 'infra-error') !== (rec.reward === null)) {
    throw new GraderError('GRADER_ERR_RUN_INVALID', `${where}: reward must be null exactly when the outcome is infra-error (outcome ${rec.outcome}, reward ${String(rec.reward)})`);
  }
  return rec;
}
