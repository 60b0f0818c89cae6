import type { ParseArgsConfig } from 'node:util';
import { GRADER_VERSION } from './version.ts';

// The command-line surface: every command's options and usage line, and the help text.

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const TREE: Options = {
  target: { type: 'string' },
  manifest: { type: 'string' },
};
const SCORING: Options = {
  baseline: { type: 'string' },
  steps: { type: 'string' },
  'max-steps': { type: 'string' },
  mode: { type: 'string' },
  'task-bugs': { type: 'string' },
};

/** positionals: how many arguments the command takes; -1 for one or more, -2 for at most one, -3 for any number. */
export const COMMANDS: Record<string, { options: Options; positionals: number; usage: string }> = {
  run: {
    options: { ...COMMON, ...TREE, category: { type: 'string' }, file: { type: 'string', multiple: true }, 'test-name-pattern': { type: 'string' }, out: { type: 'string' }, 'all-reported': { type: 'boolean' }, timeout: { type: 'string' }, 'skip-preflight': { type: 'boolean' } },
    positionals: 1,
    usage: 'run <dir> [--category c] [--file tests/…]… [--test-name-pattern re] [--out results.json] [--all-reported] [--timeout s] [--skip-preflight] [--target dir] [--manifest file] [--json]',
  },
  score: {
    options: { ...COMMON, ...SCORING, results: { type: 'string' }, manifest: { type: 'string' } },
    positionals: 0,
    usage: 'score --results file [--baseline file] [--steps n --max-steps m] [--mode reward|resolved] [--task-bugs ids] [--manifest file] [--json]',
  },
  grade: {
    options: { ...COMMON, ...TREE, ...SCORING, out: { type: 'string' }, timeout: { type: 'string' }, 'skip-preflight': { type: 'boolean' }, pristine: { type: 'string' } },
    positionals: 1,
    usage: 'grade <dir> [--pristine dir] [--baseline file] [--steps n --max-steps m] [--mode reward|resolved] [--task-bugs ids] [--out results.json] [--timeout s] [--skip-preflight] [--target dir] [--manifest file] [--json]',
  },
  screen: {
    options: { ...COMMON, manifest: { type: 'string' }, pristine: { type: 'string' }, patch: { type: 'string', multiple: true } },
    positionals: -2,
    usage: 'screen [<dir> --pristine dir] [--patch file]… [--manifest file] [--json]',
  },
  materialize: {
    options: { ...COMMON, ...TREE, bugs: { type: 'string' }, out: { type: 'string' }, fixes: { type: 'string' }, 'link-node-modules': { type: 'boolean' } },
    positionals: 0,
    usage: 'materialize --bugs <ids|all|none> --out <dir> [--link-node-modules] [--target dir] [--manifest file] [--fixes dir] [--json]',
  },
  verify: {
    options: { ...COMMON, ...TREE, bugs: { type: 'string' }, shipped: { type: 'boolean' }, repeat: { type: 'string' }, jobs: { type: 'string' }, quick: { type: 'boolean' }, full: { type: 'boolean' }, 'require-validity': { type: 'boolean' }, fixes: { type: 'string' }, report: { type: 'string' }, 'dry-run': { type: 'boolean' }, reuse: { type: 'boolean' }, quiet: { type: 'boolean' }, timeout: { type: 'string' }, 'skip-preflight': { type: 'boolean' } },
    positionals: 0,
    usage: 'verify [--bugs ids [--shipped]] [--repeat k] [--jobs n] [--quick] [--full] [--require-validity] [--dry-run] [--reuse] [--quiet] [--report file] [--timeout s] [--skip-preflight] [--target dir] [--manifest file] [--fixes dir] [--json]',
  },
  discover: {
    options: { ...COMMON, ...TREE, bugs: { type: 'string' }, repeat: { type: 'string' }, full: { type: 'boolean' }, write: { type: 'boolean' }, fixes: { type: 'string' }, quiet: { type: 'boolean' }, timeout: { type: 'string' }, 'skip-preflight': { type: 'boolean' } },
    positionals: 0,
    usage: 'discover [--bugs ids] [--repeat k] [--full] [--write] [--quiet] [--timeout s] [--skip-preflight] [--target dir] [--manifest file] [--fixes dir] [--json]',
  },
  masking: {
    options: { ...COMMON, manifest: { type: 'string' }, write: { type: 'boolean' } },
    positionals: 0,
    usage: 'masking [--write] [--manifest file] [--json]',
  },
  leaderboard: {
    options: { ...COMMON, out: { type: 'string' }, resamples: { type: 'string' }, seed: { type: 'string' } },
    positionals: -1,
    usage: 'leaderboard <run dir>… --out <dir> [--resamples n] [--seed s] [--json]',
  },
  affected: {
    options: { ...COMMON, ...TREE, changed: { type: 'string', multiple: true }, removed: { type: 'string', multiple: true }, fixes: { type: 'string' }, refresh: { type: 'boolean' }, 'skip-preflight': { type: 'boolean' } },
    positionals: -3,
    usage: 'affected --changed <files…> [--removed <files…>] [--refresh] [--skip-preflight] [--target dir] [--manifest file] [--fixes dir] [--json]',
  },
  inventory: {
    options: { ...COMMON, ...TREE, refresh: { type: 'boolean' }, 'skip-preflight': { type: 'boolean' } },
    positionals: 0,
    usage: 'inventory [--refresh] [--skip-preflight] [--target dir] [--manifest file] [--json]',
  },
};

export function usage(): string {
  return [
    `datanexus-grader ${GRADER_VERSION}: run, score and verify the DataNexus suite`,
    '',
    'usage:',
    ...Object.values(COMMANDS).map((c) => `  datanexus-grader ${c.usage}`),
    '',
    'Defaults: --target <repo>/target, --manifest <repo>/bug-manifest/manifest.json, fixes next to the manifest.',
    'Exit codes: 0 success, 1 failure (see the error code), 2 usage error. With --json, errors print { "error": { "code", "message" } }.',
  ].join('\n');
}
