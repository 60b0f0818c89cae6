import Type, { type Static } from 'typebox';

// Observations are what the agent sees. They hold no host paths, timestamps or episode ids, so
// the same actions on the same task give the same observations (a test checks it). Every text
// that was cut says so in itself and in a `truncated` flag.

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const ObservationError = Type.Object({
  code: Type.String({ description: 'Stable: not_found, not_a_file, is_a_directory, binary_file, patch_malformed, patch_does_not_apply, invalid_pattern, invalid_option, tests_did_not_run, timeout.' }),
  message: Type.String(),
}, { additionalProperties: false });

export const Counts = Type.Object({
  total: Type.Integer(),
  passed: Type.Integer(),
  failed: Type.Integer(),
  skipped: Type.Integer(),
  missing: Type.Integer(),
  error: Type.Integer(),
}, { additionalProperties: false });

export const CategoryCounts = Type.Record(Type.String(), Type.Object({ passed: Type.Integer(), total: Type.Integer() }, { additionalProperties: false }));

export const ResetObservation = Type.Object({
  type: Type.Literal('reset'),
  task: Type.String(),
  description: Type.String(),
  workspace: Type.String({ description: 'Where the workspace is inside the sandbox.' }),
  maxSteps: Type.Integer(),
  actions: Type.Array(Type.String()),
  files: Type.Array(Type.String({ description: 'Top-level entries of the workspace; directories end with /.' })),
  baseline: Type.Object({
    counts: Counts,
    categories: CategoryCounts,
    failing: Type.Array(Type.String(), { description: 'Ids of tests that do not pass at the start.' }),
    failingTruncated: Type.Boolean(),
  }, { additionalProperties: false }),
}, { additionalProperties: false, title: 'reset' });

export const ReadFileObservation = Type.Object({
  type: Type.Literal('read_file'),
  ok: Type.Boolean(),
  path: Type.String(),
  content: Type.Optional(Type.String()),
  startLine: Type.Optional(Type.Integer()),
  endLine: Type.Optional(Type.Integer()),
  totalLines: Type.Optional(Type.Integer()),
  truncated: Type.Optional(Type.Boolean()),
  error: Type.Optional(ObservationError),
}, { additionalProperties: false, title: 'read_file' });

export const ListFilesObservation = Type.Object({
  type: Type.Literal('list_files'),
  ok: Type.Boolean(),
  path: Type.String(),
  entries: Type.Optional(Type.Array(Type.String())),
  total: Type.Optional(Type.Integer()),
  truncated: Type.Optional(Type.Boolean()),
  error: Type.Optional(ObservationError),
}, { additionalProperties: false, title: 'list_files' });

export const SearchMatch = Type.Object({ path: Type.String(), line: Type.Integer(), text: Type.String() }, { additionalProperties: false });

export const SearchObservation = Type.Object({
  type: Type.Literal('search'),
  ok: Type.Boolean(),
  pattern: Type.String(),
  path: Type.String(),
  matches: Type.Optional(Type.Array(SearchMatch)),
  total: Type.Optional(Type.Integer()),
  truncated: Type.Optional(Type.Boolean()),
  error: Type.Optional(ObservationError),
}, { additionalProperties: false, title: 'search' });

export const ExecObservation = Type.Object({
  type: Type.Literal('exec'),
  ok: Type.Boolean({ description: 'Exit code 0 and not killed.' }),
  exitCode: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  timedOut: Type.Boolean(),
  killedBy: Nullable(Type.String({ description: 'timeout, memory, output, disk or abort when the sandbox killed the command.' })),
  stdout: Type.String(),
  stderr: Type.String(),
  stdoutTruncated: Type.Boolean(),
  stderrTruncated: Type.Boolean(),
}, { additionalProperties: false, title: 'exec' });

export const FileChangeSchema = Type.Object({
  path: Type.String(),
  change: Type.Union([Type.Literal('modified'), Type.Literal('added'), Type.Literal('deleted'), Type.Literal('renamed')]),
  from: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const PatchObservation = Type.Object({
  type: Type.Literal('patch'),
  ok: Type.Boolean(),
  files: Type.Optional(Type.Array(FileChangeSchema)),
  error: Type.Optional(ObservationError),
}, { additionalProperties: false, title: 'patch' });

export const TestFailure = Type.Object({
  id: Type.String(),
  status: Type.String(),
  message: Type.Optional(Type.String()),
}, { additionalProperties: false });

export const RunTestsObservation = Type.Object({
  type: Type.Literal('run_tests'),
  ok: Type.Boolean({ description: 'The tests ran (whatever their results).' }),
  counts: Type.Optional(Counts),
  categories: Type.Optional(CategoryCounts),
  failures: Type.Optional(Type.Array(TestFailure, { description: 'Tests that did not pass, by id.' })),
  suiteErrors: Type.Optional(Type.Array(Type.Object({ file: Type.String(), message: Type.String() }, { additionalProperties: false }), { description: 'Test files that failed to load.' })),
  truncated: Type.Optional(Type.Boolean()),
  timedOut: Type.Optional(Type.Boolean()),
  error: Type.Optional(ObservationError),
}, { additionalProperties: false, title: 'run_tests' });

export const Rejection = Type.Object({
  reason: Type.Literal('tampering'),
  findings: Type.Array(Type.Object({
    file: Type.String(),
    line: Type.Integer(),
    rule: Type.String(),
    reason: Type.String(),
    match: Type.String(),
  }, { additionalProperties: false }), { description: 'Lines the agent added that touch the test runner or detect it: file, line, rule.' }),
}, { additionalProperties: false, description: 'Why the change was refused before any test ran (reward 0).' });

export const SubmitObservation = Type.Object({
  type: Type.Literal('submit'),
  ok: Type.Boolean(),
  outcome: Type.String({ description: 'resolved, unresolved, or rejected (see rejection).' }),
  rejection: Type.Optional(Rejection),
  reward: Type.Number(),
  bugsFixed: Type.Array(Type.String()),
  counts: Counts,
  notices: Type.Optional(Type.Array(Type.String(), { description: 'What the grade refused from the workspace, or why the run brought no results.' })),
}, { additionalProperties: false, title: 'submit' });

const StepObservationUnion = Type.Union([ReadFileObservation, ListFilesObservation, SearchObservation, ExecObservation, PatchObservation, RunTestsObservation, SubmitObservation]);
const STEP_BRANCHES = StepObservationUnion.anyOf;
export type StepObservation = Static<typeof StepObservationUnion>;
export const StepObservationSchema = Type.Unsafe<StepObservation>({ type: 'object', oneOf: STEP_BRANCHES, discriminator: { propertyName: 'type' } });

export type ResetObs = Static<typeof ResetObservation>;
export type ReadFileObs = Static<typeof ReadFileObservation>;
export type ListFilesObs = Static<typeof ListFilesObservation>;
export type SearchObs = Static<typeof SearchObservation>;
export type ExecObs = Static<typeof ExecObservation>;
export type PatchObs = Static<typeof PatchObservation>;
export type RunTestsObs = Static<typeof RunTestsObservation>;
export type SubmitObs = Static<typeof SubmitObservation>;
export type ObsError = Static<typeof ObservationError>;
export type CountsT = Static<typeof Counts>;
