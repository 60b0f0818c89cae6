import { parseArgs } from 'node:util';
import path from 'node:path';
import { EnvError, isEnvError } from './errors.ts';
import { type SandboxKind, SANDBOX_KINDS } from './options.ts';
import { DEFAULT_STATE_DIR } from './paths.ts';
import { serve } from './server.ts';
import { exportJsonl } from './trajectories/export.ts';
import { EVAL_USAGE } from './eval/cli.ts';
import { WALKTHROUGH_USAGE } from './walkthrough/cli.ts';

// The CLI is thin: each command is a plain function with typed options; every failure leaves
// through an EnvError with a stable code, printed as JSON with --json.

const USAGE = `usage:
  datanexus-env serve [--port 8080] [--host 127.0.0.1] [--sandbox bwrap|unsafe-process|docker]
                      [--target DIR] [--manifest FILE] [--node-modules DIR] [--state-dir DIR] [--trajectories FILE|none]
                      [--scenarios DIR] [--max-steps N] [--max-episodes N] [--lease-ms MS] [--namespace-pool N] [--no-grade-cache]
                      [--grading incremental|full] [--cross-check-every N] [--log-level LEVEL]
  datanexus-env export --out FILE.jsonl [--db FILE] [--task ID] [--json]
${EVAL_USAGE}${WALKTHROUGH_USAGE}`;

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new EnvError('ENV_ERR_INVALID_OPTION', `--${name}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

export async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, sandbox: { type: 'string' }, target: { type: 'string' },
      manifest: { type: 'string' }, scenarios: { type: 'string' }, 'node-modules': { type: 'string' }, 'state-dir': { type: 'string' }, trajectories: { type: 'string' },
      'max-steps': { type: 'string' }, 'max-episodes': { type: 'string' }, 'lease-ms': { type: 'string' }, 'namespace-pool': { type: 'string' },
      'no-grade-cache': { type: 'boolean' }, 'log-level': { type: 'string' }, grading: { type: 'string' }, 'cross-check-every': { type: 'string' },
    },
    strict: true,
  });
  const sandbox = values.sandbox as SandboxKind | undefined;
  if (sandbox !== undefined && !SANDBOX_KINDS.includes(sandbox)) {
    throw new EnvError('ENV_ERR_INVALID_OPTION', `--sandbox: expected one of ${SANDBOX_KINDS.join(', ')}, got ${JSON.stringify(sandbox)}`);
  }
  const traj = values.trajectories;
  const maxSteps = int('max-steps', values['max-steps']);
  const maxEpisodes = int('max-episodes', values['max-episodes']);
  const leaseMs = int('lease-ms', values['lease-ms']);
  const namespacePoolSize = int('namespace-pool', values['namespace-pool']);
  const crossCheckEvery = int('cross-check-every', values['cross-check-every']);
  await serve({
    port: int('port', values.port) ?? 8080,
    host: values.host ?? '127.0.0.1',
    handleSignals: true,
    logger: { level: values['log-level'] ?? 'info' },
    ...(sandbox ? { sandbox } : {}),
    ...(values.target ? { targetDir: values.target } : {}),
    ...(values.manifest ? { manifestPath: values.manifest } : {}),
    ...(values.scenarios ? { scenariosDir: values.scenarios } : {}),
    ...(values['node-modules'] ? { nodeModulesDir: values['node-modules'] } : {}),
    ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
    ...(traj === 'none' ? { trajectoriesPath: null } : traj ? { trajectoriesPath: traj } : {}),
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(maxEpisodes !== undefined ? { maxEpisodes } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(namespacePoolSize !== undefined ? { namespacePoolSize } : {}),
    ...(values['no-grade-cache'] ? { gradeCache: false } : {}),
    // checked by resolveOptions (ENV_ERR_INVALID_OPTION)
    ...(values.grading !== undefined ? { grading: values.grading as 'incremental' | 'full' } : {}),
    ...(crossCheckEvery !== undefined ? { gradingCrossCheckEvery: crossCheckEvery } : {}),
  });
}

export async function exportCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, db: { type: 'string' }, task: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (!values.out) throw new EnvError('ENV_ERR_INVALID_OPTION', '--out: expected the path of the JSONL file to write');
  const db = path.resolve(values.db ?? path.join(DEFAULT_STATE_DIR, 'trajectories.sqlite'));
  const out = path.resolve(values.out);
  const episodes = await exportJsonl({ db, out, ...(values.task ? { task: values.task } : {}) });
  if (values.json) process.stdout.write(`${JSON.stringify({ out, db, episodes })}\n`);
  else process.stdout.write(`wrote ${episodes} episodes to ${out}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    if (command === 'serve') await serveCommand(rest);
    else if (command === 'export') await exportCommand(rest);
    else if (command === 'eval') await (await import('./eval/cli.ts')).evalCommand(rest);
    else if (command === 'walkthrough') await (await import('./walkthrough/cli.ts')).walkthroughCommand(rest);
    else if (command === undefined || command === 'help' || command === '--help') process.stdout.write(USAGE);
    else throw new EnvError('ENV_ERR_INVALID_OPTION', `unknown command ${JSON.stringify(command)}\n${USAGE}`);
  } catch (err) {
    const e = isEnvError(err) ? err : new EnvError(err instanceof TypeError ? 'ENV_ERR_INVALID_OPTION' : 'ENV_ERR_INTERNAL', (err as Error).message, { cause: err });
    if (json) process.stderr.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
    else process.stderr.write(`datanexus-env: ${e.code}: ${e.message}\n`);
    process.exitCode = e.code === 'ENV_ERR_INVALID_OPTION' ? 2 : 1;
  }
}

await main(process.argv.slice(2));
