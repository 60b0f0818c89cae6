import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandOutcome } from './commands/shared.ts';
import { parseCategory } from './commands/shared.ts';
import { GraderError, toGraderError } from './errors.ts';
import { streamProgress } from './progress.ts';
import { GRADER_VERSION } from './version.ts';

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

const COMMANDS: Record<string, { options: Options; positionals: number; usage: string }> = {
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
    positionals: -1,
    usage: 'screen [<dir> --pristine dir] [--patch file]… [--manifest file] [--json]',
  },
  materialize: {
    options: { ...COMMON, ...TREE, bugs: { type: 'string' }, out: { type: 'string' }, fixes: { type: 'string' }, 'link-node-modules': { type: 'boolean' } },
    positionals: 0,
    usage: 'materialize --bugs <ids|all|none> --out <dir> [--link-node-modules] [--target dir] [--manifest file] [--fixes dir] [--json]',
  },
  verify: {
    options: { ...COMMON, ...TREE, bugs: { type: 'string' }, shipped: { type: 'boolean' }, repeat: { type: 'string' }, quick: { type: 'boolean' }, fixes: { type: 'string' }, report: { type: 'string' }, 'dry-run': { type: 'boolean' }, quiet: { type: 'boolean' }, timeout: { type: 'string' }, 'skip-preflight': { type: 'boolean' } },
    positionals: 0,
    usage: 'verify [--bugs ids [--shipped]] [--repeat k] [--quick] [--dry-run] [--quiet] [--report file] [--timeout s] [--skip-preflight] [--target dir] [--manifest file] [--fixes dir] [--json]',
  },
  discover: {
    options: { ...COMMON, ...TREE, bugs: { type: 'string' }, repeat: { type: 'string' }, write: { type: 'boolean' }, fixes: { type: 'string' }, quiet: { type: 'boolean' }, timeout: { type: 'string' }, 'skip-preflight': { type: 'boolean' } },
    positionals: 0,
    usage: 'discover [--bugs ids] [--repeat k] [--write] [--quiet] [--timeout s] [--skip-preflight] [--target dir] [--manifest file] [--fixes dir] [--json]',
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

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  cwd: string;
}

function usageError(message: string): GraderError {
  return new GraderError('GRADER_ERR_USAGE', message);
}

function int(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min) throw new GraderError('GRADER_ERR_INVALID_OPTION', `--${name} must be an integer ≥ ${min}, got "${String(value)}"`);
  return n;
}

function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function mode(value: string | undefined): 'reward' | 'resolved' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'reward' && value !== 'resolved') throw new GraderError('GRADER_ERR_INVALID_OPTION', `--mode must be "reward" or "resolved", got "${value}"`);
  return value;
}

function taskBugs(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean);
}

function required(values: Record<string, unknown>, name: string, command: string): string {
  const v = str(values, name);
  if (v === undefined) throw usageError(`${command}: --${name} is required\nusage: datanexus-grader ${COMMANDS[command]!.usage}`);
  return v;
}

async function dispatch(command: string, values: Record<string, unknown>, positionals: string[], io: CliIo): Promise<CommandOutcome<unknown>> {
  const cwd = io.cwd;
  const target = str(values, 'target');
  const manifest = str(values, 'manifest');
  const tree = { ...(target ? { targetDir: target } : {}), ...(manifest ? { manifestPath: manifest } : {}) };
  const timeoutS = int('timeout', values.timeout, 1);
  const timeout = timeoutS !== undefined ? { timeoutMs: timeoutS * 1000 } : {};
  const preflight = values['skip-preflight'] ? { preflight: false } : {};
  const scoring = () => {
    const steps = int('steps', values.steps, 0);
    const maxSteps = int('max-steps', values['max-steps'], 0);
    if ((steps === undefined) !== (maxSteps === undefined)) throw new GraderError('GRADER_ERR_INVALID_OPTION', '--steps and --max-steps go together');
    const m = mode(str(values, 'mode'));
    const tb = taskBugs(str(values, 'task-bugs'));
    const baseline = str(values, 'baseline');
    return {
      ...(steps !== undefined ? { steps } : {}),
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      ...(m ? { mode: m } : {}),
      ...(tb ? { taskBugs: tb } : {}),
      ...(baseline ? { baseline } : {}),
    };
  };
  // each command's module (and what it pulls in: ajv, execa, …) is loaded only when it runs
  switch (command) {
    case 'run': {
      const { runCommand } = await import('./commands/run.ts');
      const category = parseCategory(str(values, 'category'));
      const files = values.file as string[] | undefined;
      const pattern = str(values, 'test-name-pattern');
      const out = str(values, 'out');
      return runCommand({
        cwd, dir: positionals[0]!, ...tree, ...timeout, ...preflight,
        ...(category ? { category } : {}), ...(files ? { files } : {}), ...(pattern !== undefined ? { testNamePattern: pattern } : {}),
        ...(out ? { out } : {}), ...(values['all-reported'] ? { useInventory: false } : {}),
      });
    }
    case 'score': {
      const { scoreCommand } = await import('./commands/score.ts');
      return scoreCommand({ cwd, results: required(values, 'results', 'score'), ...(manifest ? { manifestPath: manifest } : {}), ...scoring() });
    }
    case 'grade': {
      const { gradeCommand } = await import('./commands/grade.ts');
      const out = str(values, 'out');
      const pristine = str(values, 'pristine');
      return gradeCommand({ cwd, dir: positionals[0]!, ...tree, ...timeout, ...preflight, ...scoring(), ...(out ? { out } : {}), ...(pristine ? { pristine } : {}) });
    }
    case 'screen': {
      const { screenCommand } = await import('./commands/screen.ts');
      const pristine = str(values, 'pristine');
      const patches = values.patch as string[] | undefined;
      return screenCommand({ cwd, ...(positionals[0] ? { dir: positionals[0] } : {}), ...(pristine ? { pristine } : {}), ...(patches ? { patches } : {}), ...(manifest ? { manifestPath: manifest } : {}) });
    }
    case 'materialize': {
      const { materializeCommand } = await import('./commands/materialize.ts');
      const fixes = str(values, 'fixes');
      return materializeCommand({
        cwd, bugs: required(values, 'bugs', 'materialize'), out: required(values, 'out', 'materialize'), ...tree,
        ...(fixes ? { fixesDir: fixes } : {}), ...(values['link-node-modules'] ? { linkNodeModules: true } : {}),
      });
    }
    case 'verify': {
      const { verifyCommand } = await import('./commands/verify.ts');
      const fixes = str(values, 'fixes');
      const report = str(values, 'report');
      const bugs = str(values, 'bugs');
      const repeat = int('repeat', values.repeat, 1);
      return verifyCommand({
        cwd, ...tree, ...timeout, ...preflight,
        ...(bugs !== undefined ? { bugs } : {}), ...(values.shipped ? { shipped: true } : {}),
        ...(repeat !== undefined ? { repeat } : {}), ...(values.quick ? { quick: true } : {}),
        ...(fixes ? { fixesDir: fixes } : {}), ...(report ? { reportPath: report } : {}), ...(values['dry-run'] ? { write: false } : {}),
        ...(values.quiet ? {} : { progress: streamProgress(io.stderr) }),
      });
    }
    case 'discover': {
      const { discoverCommand } = await import('./commands/discover.ts');
      const fixes = str(values, 'fixes');
      const bugs = str(values, 'bugs');
      const repeat = int('repeat', values.repeat, 1);
      return discoverCommand({
        cwd, ...tree, ...timeout, ...preflight,
        ...(bugs !== undefined ? { bugs } : {}), ...(repeat !== undefined ? { repeat } : {}), ...(values.write ? { write: true } : {}),
        ...(fixes ? { fixesDir: fixes } : {}),
        ...(values.quiet ? {} : { progress: streamProgress(io.stderr) }),
      });
    }
    case 'inventory': {
      const { inventoryCommand } = await import('./commands/inventory.ts');
      return inventoryCommand({ cwd, ...tree, ...preflight, ...(values.refresh ? { refresh: true } : {}) });
    }
    default:
      throw usageError(`unknown command "${command}"\n${usage()}`);
  }
}

/** Parses argv, runs one command, prints its result; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  const wantsJson = argv.includes('--json');
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(`${usage()}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === 'version') {
      io.stdout.write(wantsJson ? `${JSON.stringify({ version: GRADER_VERSION })}\n` : `${GRADER_VERSION}\n`);
      return 0;
    }
    const spec = COMMANDS[command];
    if (!spec) throw usageError(`unknown command "${command}"\n${usage()}`);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: spec.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw usageError(`${command}: ${(err as Error).message}\nusage: datanexus-grader ${spec.usage}`);
    }
    const values = parsed.values as Record<string, unknown>;
    if (values.help) {
      io.stdout.write(`usage: datanexus-grader ${spec.usage}\n`);
      return 0;
    }
    // -1: at most one <dir>
    if (spec.positionals === -1 ? parsed.positionals.length > 1 : parsed.positionals.length !== spec.positionals) {
      throw usageError(`${command}: expected ${spec.positionals === 0 ? 'no positional argument' : '<dir>'}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}\nusage: datanexus-grader ${spec.usage}`);
    }
    const outcome = await dispatch(command, values, parsed.positionals, io);
    io.stdout.write(wantsJson ? `${JSON.stringify(outcome.json, null, 2)}\n` : `${outcome.text}\n`);
    return outcome.exitCode;
  } catch (raw) {
    const err = toGraderError(raw);
    if (wantsJson) {
      const error: Record<string, unknown> = { code: err.code, message: err.message };
      if (err.details !== undefined) error.details = err.details;
      io.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
    } else {
      io.stderr.write(`datanexus-grader: ${err.code}: ${err.message}\n`);
      if (err.code === 'GRADER_ERR_INTERNAL' && raw instanceof Error && raw.stack) io.stderr.write(`${raw.stack}\n`);
    }
    return err.exitCode;
  }
}
