import Type, { type Static } from 'typebox';
import { ActionSchema } from './actions.ts';
import { CategoryCounts, Counts, Rejection, ResetObservation, StepObservationSchema } from './observations.ts';

export const EpisodeId = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', description: 'From POST /v1/reset.' });

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'ENV_ERR_* (stable).' }),
  error: Type.String({ description: 'HTTP reason phrase.' }),
  message: Type.String({ description: 'What was expected and what arrived.' }),
  details: Type.Optional(Type.Unknown()),
}, { additionalProperties: false, title: 'Error' });

export const ResetRequest = Type.Object({
  task: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: '`full`, `bug:<ID>` or `scenario:<NN>`; GET /v1/tasks lists them.' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Exported to every sandboxed command as DN_SEED; recorded in the trajectory.' })),
  options: Type.Optional(Type.Object({
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Step budget (default: the server\'s).' })),
    hints: Type.Optional(Type.Enum(['none', 'hints'], { description: 'Scenario tasks: `hints` adds a short hints section to the description (where to start, the setup chain, common patterns); `none` (default) gives the incident alone.' })),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

export const ResetResponse = Type.Object({
  episodeId: Type.String(),
  observation: ResetObservation,
  info: Type.Object({
    task: Type.String(),
    seed: Type.Integer(),
    mode: Type.String({ description: 'reward (full reward) or resolved (0/1).' }),
    taskHash: Type.String({ description: 'Content hash of the task\'s pristine tree.' }),
    maxSteps: Type.Integer(),
    leaseMs: Type.Integer({ description: 'An episode idle this long is reaped.' }),
    graderVersion: Type.String(),
    envVersion: Type.String(),
    sandbox: Type.String(),
    durationMs: Type.Number(),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

export const StepRequest = Type.Object({
  episodeId: Type.Optional(EpisodeId),
  action: ActionSchema,
}, { additionalProperties: false });

export const GradeSchema = Type.Object({
  weightedPassRate: Type.Number(),
  base: Type.Number(),
  categoryBonus: Type.Number(),
  chaosBonus: Type.Number(),
  bugBonus: Type.Number(),
  efficiencyBonus: Type.Number(),
  regressionPenalty: Type.Number(),
  reward: Type.Number(),
  categories: CategoryCounts,
  bugsFixed: Type.Array(Type.String()),
  resolved: Type.Optional(Type.Boolean()),
  mode: Type.String(),
  graderVersion: Type.String(),
  outcome: Type.String({ description: 'resolved, unresolved, or rejected (the change was refused for tampering, reward 0); an infrastructure failure is an HTTP 503, never a grade.' }),
  rejection: Type.Optional(Rejection),
  contentHash: Type.Optional(Type.String()),
  regressions: Type.Optional(Type.Array(Type.String())),
}, { additionalProperties: false });

export const GradeReportSchema = Type.Object({
  grade: GradeSchema,
  taskHash: Type.String(),
  contentHash: Type.String(),
  cached: Type.Boolean(),
  durationMs: Type.Number(),
  takenChanges: Type.Array(Type.String()),
  ignoredChanges: Type.Array(Type.String(), { description: 'Edits to tests, jest config or package files: never graded.' }),
  refusedChanges: Type.Array(Type.Object({ path: Type.String(), reason: Type.String() }, { additionalProperties: false }), { description: 'Entries the grade refused (links leaving the workspace, nested node_modules); the pristine version was graded.' }),
  brokenRun: Type.Optional(Type.String({ description: 'The code under test broke the run (no results while the servers answered): every test counts as missing.' })),
  summary: Counts,
  bugs: Type.Array(Type.Object({
    id: Type.String(),
    fixed: Type.Boolean(),
    failToPass: Type.Object({ passed: Type.Integer(), total: Type.Integer() }, { additionalProperties: false }),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

export const StepResponse = Type.Object({
  observation: StepObservationSchema,
  reward: Type.Number({ description: '0 on every step but the last; the grade\'s reward on submit or when the budget runs out.' }),
  terminated: Type.Boolean({ description: 'The agent submitted.' }),
  truncated: Type.Boolean({ description: 'The step budget ran out.' }),
  info: Type.Object({
    step: Type.Integer(),
    maxSteps: Type.Integer(),
    durationMs: Type.Number(),
    grade: Type.Optional(GradeReportSchema),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

export const RewardRequest = Type.Object({ episodeId: EpisodeId }, { additionalProperties: false });

export const RewardResponse = Type.Object({
  episodeId: Type.String(),
  final: Type.Boolean({ description: 'The episode has ended: this is its final grade.' }),
  step: Type.Integer(),
  report: GradeReportSchema,
}, { additionalProperties: false });

export const TaskSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  title: Type.String(),
  mode: Type.String(),
  description: Type.String(),
}, { additionalProperties: false });

export const TasksResponse = Type.Object({ tasks: Type.Array(TaskSchema) }, { additionalProperties: false });

export const EpisodeStatus = Type.Enum(['starting', 'running', 'terminated', 'truncated', 'closed', 'reaped', 'shutdown'], { description: 'terminated: submitted; truncated: budget ran out; closed: DELETE; reaped: lease ran out; shutdown: server stopped.' });

export const EpisodeInfo = Type.Object({
  episodeId: Type.String(),
  task: Type.String(),
  seed: Type.Integer(),
  status: EpisodeStatus,
  steps: Type.Integer(),
  maxSteps: Type.Integer(),
  taskHash: Type.String(),
  createdAt: Type.String(),
  lastActiveAt: Type.String(),
  leaseExpiresAt: Type.Union([Type.String(), Type.Null()]),
  finalReward: Type.Union([Type.Number(), Type.Null()]),
  outcome: Type.Union([Type.String(), Type.Null()]),
}, { additionalProperties: false });

export const EpisodeParams = Type.Object({ id: EpisodeId }, { additionalProperties: false });

export const CloseResponse = Type.Object({ episodeId: Type.String(), status: EpisodeStatus }, { additionalProperties: false });

export const HealthResponse = Type.Object({
  status: Type.Literal('ok'),
  envVersion: Type.String(),
  graderVersion: Type.String(),
  sandbox: Type.Object({
    kind: Type.String(),
    isolated: Type.Boolean(),
    description: Type.String(),
    limits: Type.Object({
      memory: Type.String({ description: 'cgroup-v1 (kernel), docker, or watchdog (polled)' }),
      processes: Type.String({ description: 'cgroup-v1, rlimit-per-uid, docker, or none' }),
      cpu: Type.String({ description: 'cgroup-v1-shares (fair between sandboxes), docker, or none' }),
      disk: Type.String({ description: 'tmpfs (a size-capped file system per workspace) or watchdog (polled)' }),
    }, { additionalProperties: false }),
  }, { additionalProperties: false }),
  /** What a sandboxed run can reach (docs/isolation.md). */
  isolation: Type.Object({
    network: Type.Union([Type.Literal('own-namespace'), Type.Literal('host')]),
    /** per-run: every episode, grade and baseline uses the servers as a least-privilege principal of its own. */
    principals: Type.Union([Type.Literal('per-run'), Type.Literal('none')]),
  }, { additionalProperties: false }),
  episodes: Type.Object({ running: Type.Integer(), max: Type.Integer() }, { additionalProperties: false }),
  grading: Type.Object({
    mode: Type.Union([Type.Literal('incremental'), Type.Literal('full')]),
    crossCheckEvery: Type.Integer({ description: 'every Nth incremental grade also runs whole (0: never)' }),
    incremental: Type.Integer({ description: 'grades that reran only the affected test files' }),
    full: Type.Integer({ description: 'grades that ran the whole suite (full mode, or changes the map cannot reason about)' }),
    crossChecks: Type.Integer(),
    crossCheckMismatches: Type.Integer({ description: 'cross-checks whose statuses differed from the incremental grade (the full result was used)' }),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

export type ResetRequestT = Static<typeof ResetRequest>;
export type ResetResponseT = Static<typeof ResetResponse>;
export type StepRequestT = Static<typeof StepRequest>;
export type StepResponseT = Static<typeof StepResponse>;
export type RewardResponseT = Static<typeof RewardResponse>;
export type TasksResponseT = Static<typeof TasksResponse>;
export type EpisodeInfoT = Static<typeof EpisodeInfo>;
export type EpisodeStatusT = Static<typeof EpisodeStatus>;
export type CloseResponseT = Static<typeof CloseResponse>;
export type HealthResponseT = Static<typeof HealthResponse>;
export type ErrorResponseT = Static<typeof ErrorResponse>;
export type GradeReportT = Static<typeof GradeReportSchema>;
