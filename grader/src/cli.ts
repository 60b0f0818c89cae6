import { parseArgs } from 'node:util';
import { COMMANDS, usage } from './cli-spec.ts';
import type { CommandOutcome } from './commands/shared.ts';
import { parseCategory } from './commands/shared.ts';
import { GraderError, toGraderError } from './errors.ts';
import { streamProgress } from './progress.ts';
import { GRADER_VERSION } from './version.ts';

export { usage };

/** positionals in the command table: n exactly; -1 one or more; -2 at most one; -3 any number (the command checks). */
const POSITIONALS_WANTED: Record<number, string> = { 0: 'no positional argument', [-1]: 'one or more <dir>', [-2]: 'at most one <dir>' };

function positionalsFit(wanted: number, got: number): boolean {
  if (wanted === -1) return got > 0;
  if (wanted === -2) return got <= 1;
  if (wanted === -3) return true;
  return got === wanted;
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

/** What every command handler gets: the parsed values and the options most commands share. */
interface Parsed {
  command: string;
  values: Record<string, unknown>;
  positionals: string[];
  io: CliIo;
  cwd: string;
  manifest: string | undefined;
  tree: { targetDir?: string; manifestPath?: string };
  timeout: { timeoutMs?: number };
  preflight: { preflight?: false };
}

function parsedOf(command: string, values: Record<string, unknown>, positionals: string[], io: CliIo): Parsed {
  const target = str(values, 'target');
  const manifest = str(values, 'manifest');
  const timeoutS = int('timeout', values.timeout, 1);
  return {
    command, values, positionals, io, cwd: io.cwd, manifest,
    tree: { ...(target ? { targetDir: target } : {}), ...(manifest ? { manifestPath: manifest } : {}) },
    timeout: timeoutS !== undefined ? { timeoutMs: timeoutS * 1000 } : {},
    preflight: values['skip-preflight'] ? { preflight: false } : {},
  };
}

function scoring(values: Record<string, unknown>) {
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
}

// each command's module (and what it pulls in: ajv, execa, …) is loaded only when it runs

/** run, score, grade: the commands about one tree's results. */
async function dispatchResults(p: Parsed): Promise<CommandOutcome<unknown> | undefined> {
  const { cwd, values, positionals, tree, timeout, preflight, manifest } = p;
  switch (p.command) {
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
      return scoreCommand({ cwd, results: required(values, 'results', 'score'), ...(manifest ? { manifestPath: manifest } : {}), ...scoring(values) });
    }
    case 'grade': {
      const { gradeCommand } = await import('./commands/grade.ts');
      const out = str(values, 'out');
      const pristine = str(values, 'pristine');
      return gradeCommand({ cwd, dir: positionals[0]!, ...tree, ...timeout, ...preflight, ...scoring(values), ...(out ? { out } : {}), ...(pristine ? { pristine } : {}) });
    }
    case 'screen': {
      const { screenCommand } = await import('./commands/screen.ts');
      const pristine = str(values, 'pristine');
      const patches = values.patch as string[] | undefined;
      return screenCommand({ cwd, ...(positionals[0] ? { dir: positionals[0] } : {}), ...(pristine ? { pristine } : {}), ...(patches ? { patches } : {}), ...(manifest ? { manifestPath: manifest } : {}) });
    }
    default:
      return undefined;
  }
}

/** verify and discover: the long runs over the manifest's bugs. */
async function dispatchProofs(p: Parsed): Promise<CommandOutcome<unknown> | undefined> {
  const { cwd, values, tree, timeout, preflight } = p;
  const fixes = str(values, 'fixes');
  const bugs = str(values, 'bugs');
  const common = {
    cwd, ...tree, ...timeout, ...preflight,
    ...(bugs !== undefined ? { bugs } : {}),
    ...(fixes ? { fixesDir: fixes } : {}),
    ...(values.quiet ? {} : { progress: streamProgress(p.io.stderr) }),
  };
  if (p.command === 'verify') {
    const { verifyCommand } = await import('./commands/verify.ts');
    const report = str(values, 'report');
    const repeat = int('repeat', values.repeat, 1);
    const jobs = int('jobs', values.jobs, 1);
    return verifyCommand({
      ...common, ...(values.shipped ? { shipped: true } : {}),
      ...(repeat !== undefined ? { repeat } : {}), ...(jobs !== undefined ? { jobs } : {}), ...(values.quick ? { quick: true } : {}), ...(values.full ? { full: true } : {}),
      ...(values['require-validity'] ? { requireValidity: true } : {}),
      ...(report ? { reportPath: report } : {}), ...(values['dry-run'] ? { write: false } : {}), ...(values.reuse ? { reuse: true } : {}),
    });
  }
  if (p.command === 'discover') {
    const { discoverCommand } = await import('./commands/discover.ts');
    const repeat = int('repeat', values.repeat, 1);
    return discoverCommand({ ...common, ...(repeat !== undefined ? { repeat } : {}), ...(values.write ? { write: true } : {}), ...(values.full ? { full: true } : {}) });
  }
  return undefined;
}

/** materialize, masking, inventory: the manifest's trees and records. */
async function dispatchManifest(p: Parsed): Promise<CommandOutcome<unknown> | undefined> {
  const { cwd, values, tree, preflight, manifest } = p;
  switch (p.command) {
    case 'materialize': {
      const { materializeCommand } = await import('./commands/materialize.ts');
      const fixes = str(values, 'fixes');
      return materializeCommand({
        cwd, bugs: required(values, 'bugs', 'materialize'), out: required(values, 'out', 'materialize'), ...tree,
        ...(fixes ? { fixesDir: fixes } : {}), ...(values['link-node-modules'] ? { linkNodeModules: true } : {}),
      });
    }
    case 'masking': {
      const { maskingCommand } = await import('./commands/masking.ts');
      return maskingCommand({ cwd, ...(manifest ? { manifestPath: manifest } : {}), ...(values.write ? { write: true } : {}) });
    }
    case 'leaderboard': {
      const { leaderboardCommand } = await import('./commands/leaderboard.ts');
      const resamples = int('resamples', values.resamples, 1);
      const seed = int('seed', values.seed, 0);
      return leaderboardCommand({ cwd, runs: p.positionals, out: required(values, 'out', 'leaderboard'), ...(resamples ? { resamples } : {}), ...(seed !== undefined ? { seed } : {}) });
    }
    case 'affected': {
      const { affectedCommand } = await import('./commands/affected.ts');
      // `--changed a b c`: parseArgs keeps the first value on the option and the rest as positionals
      const changed = [...((values.changed as string[] | undefined) ?? []), ...p.positionals];
      const removed = (values.removed as string[] | undefined) ?? [];
      if (changed.length + removed.length === 0) throw usageError(`affected: --changed needs at least one file\nusage: datanexus-grader ${COMMANDS.affected!.usage}`);
      const fixes = str(values, 'fixes');
      return affectedCommand({ cwd, ...tree, ...preflight, changed, removed, ...(fixes ? { fixesDir: fixes } : {}), ...(values.refresh ? { refresh: true } : {}) });
    }
    case 'inventory': {
      const { inventoryCommand } = await import('./commands/inventory.ts');
      return inventoryCommand({ cwd, ...tree, ...preflight, ...(values.refresh ? { refresh: true } : {}) });
    }
    default:
      return undefined;
  }
}

async function dispatch(command: string, values: Record<string, unknown>, positionals: string[], io: CliIo): Promise<CommandOutcome<unknown>> {
  const p = parsedOf(command, values, positionals, io);
  const outcome = (await dispatchResults(p)) ?? (await dispatchProofs(p)) ?? (await dispatchManifest(p));
  if (!outcome) throw usageError(`unknown command "${command}"\n${usage()}`);
  return outcome;
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
    if (!positionalsFit(spec.positionals, parsed.positionals.length)) {
      throw usageError(`${command}: expected ${POSITIONALS_WANTED[spec.positionals] ?? '<dir>'}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}\nusage: datanexus-grader ${spec.usage}`);
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
