import Type, { type Static } from 'typebox';

// Actions are a tagged union on `type`. The body schema uses oneOf + an OpenAPI discriminator, so
// ajv (discriminator: true) checks only the branch the tag names and says which field is wrong.

const Path = Type.String({ minLength: 1, maxLength: 4096, description: 'Relative to the workspace (or /workspace/…).' });

export const CATEGORY_VALUES = ['unit', 'integration', 'contract', 'chaos', 'security', 'performance', 'system', 'stress'] as const;

export const ReadFileAction = Type.Object({
  type: Type.Literal('read_file'),
  path: Path,
  startLine: Type.Optional(Type.Integer({ minimum: 1, description: 'First line to return (1-based).' })),
  endLine: Type.Optional(Type.Integer({ minimum: 1, description: 'Last line to return (inclusive).' })),
}, { additionalProperties: false, title: 'read_file' });

export const ListFilesAction = Type.Object({
  type: Type.Literal('list_files'),
  path: Type.Optional(Type.String({ maxLength: 4096, description: 'Directory to list recursively (default: the workspace).' })),
}, { additionalProperties: false, title: 'list_files' });

export const SearchAction = Type.Object({
  type: Type.Literal('search'),
  pattern: Type.String({ minLength: 1, maxLength: 1000, description: 'POSIX extended regular expression (grep -E).' }),
  path: Type.Optional(Type.String({ maxLength: 4096, description: 'File or directory to search (default: the workspace).' })),
}, { additionalProperties: false, title: 'search' });

export const ExecAction = Type.Object({
  type: Type.Literal('exec'),
  command: Type.String({ minLength: 1, maxLength: 100_000, description: 'A bash command, run in the sandbox with /workspace as working directory.' }),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000, description: 'Kill the command (and everything it started) after this long.' })),
}, { additionalProperties: false, title: 'exec' });

export const PatchAction = Type.Object({
  type: Type.Literal('patch'),
  diff: Type.String({ minLength: 1, description: 'A unified diff (git diff style, a/ b/ prefixes optional). Applies entirely or not at all.' }),
}, { additionalProperties: false, title: 'patch' });

export const RunTestsAction = Type.Object({
  type: Type.Literal('run_tests'),
  category: Type.Optional(Type.Enum(CATEGORY_VALUES)),
  files: Type.Optional(Type.Array(Path, { maxItems: 500, description: 'Test files relative to the workspace (tests/unit/x.test.js).' })),
  testNamePattern: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'jest --testNamePattern (a JavaScript regular expression).' })),
}, { additionalProperties: false, title: 'run_tests' });

export const SubmitAction = Type.Object({
  type: Type.Literal('submit'),
}, { additionalProperties: false, title: 'submit' });

const ActionUnion = Type.Union([ReadFileAction, ListFilesAction, SearchAction, ExecAction, PatchAction, RunTestsAction, SubmitAction]);
const ACTION_BRANCHES = ActionUnion.anyOf;
export type Action = Static<typeof ActionUnion>;
export type ActionType = Action['type'];
export const ACTION_TYPES: readonly ActionType[] = ['read_file', 'list_files', 'search', 'exec', 'patch', 'run_tests', 'submit'];

export const ActionSchema = Type.Unsafe<Action>({
  type: 'object',
  oneOf: ACTION_BRANCHES,
  discriminator: { propertyName: 'type' },
  description: 'What the agent does this step; `type` selects the action.',
});

export type ReadFile = Static<typeof ReadFileAction>;
export type ListFiles = Static<typeof ListFilesAction>;
export type Search = Static<typeof SearchAction>;
export type Exec = Static<typeof ExecAction>;
export type Patch = Static<typeof PatchAction>;
export type RunTests = Static<typeof RunTestsAction>;
