import { parseArgs } from 'node:util';
import path from 'node:path';
import { EnvError } from '../errors.ts';
import { type SandboxKind, SANDBOX_KINDS } from '../options.ts';
import { createAgent } from './agents/index.ts';
import { runEval } from './runner.ts';

export const EVAL_USAGE = `  datanexus-env eval --agent oracle|noop|random|external --tasks <ids|globs> --out <run dir>
                     [--episodes N] [--concurrency K] [--seed S] [--max-steps N] [--url http://host:port]
                     [--agent-cmd "<command>"] [--agent-name NAME] [--agent-version V] [--agent-timeout-ms MS]
                     [--sandbox bwrap|unsafe-process|docker] [--target DIR] [--manifest FILE] [--node-modules DIR] [--state-dir DIR] [--json]
`;

function count(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new EnvError('ENV_ERR_INVALID_OPTION', `--${name}: expected an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

export async function evalCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      agent: { type: 'string' }, tasks: { type: 'string' }, out: { type: 'string' }, episodes: { type: 'string' }, concurrency: { type: 'string' },
      seed: { type: 'string' }, 'max-steps': { type: 'string' }, url: { type: 'string' }, 'agent-cmd': { type: 'string' }, 'agent-name': { type: 'string' },
      'agent-version': { type: 'string' }, 'agent-timeout-ms': { type: 'string' }, sandbox: { type: 'string' }, target: { type: 'string' },
      manifest: { type: 'string' }, 'node-modules': { type: 'string' }, 'state-dir': { type: 'string' }, json: { type: 'boolean' },
    },
    strict: true,
  });
  for (const required of ['agent', 'tasks', 'out'] as const) {
    if (!values[required]) throw new EnvError('ENV_ERR_INVALID_OPTION', `--${required} is required\nusage:\n${EVAL_USAGE}`);
  }
  const sandbox = values.sandbox as SandboxKind | undefined;
  if (sandbox !== undefined && !SANDBOX_KINDS.includes(sandbox)) throw new EnvError('ENV_ERR_INVALID_OPTION', `--sandbox: expected one of ${SANDBOX_KINDS.join(', ')}`);
  const out = path.resolve(values.out!);
  const timeout = count('agent-timeout-ms', values['agent-timeout-ms'], 1);
  const agent = createAgent(values.agent!, {
    ...(values['agent-cmd'] ? { command: values['agent-cmd'] } : {}),
    ...(values['agent-name'] ? { name: values['agent-name'] } : {}),
    ...(values['agent-version'] ? { version: values['agent-version'] } : {}),
    ...(timeout ? { actionTimeoutMs: timeout } : {}),
    logFile: (ctx) => path.join(out, `agent-${ctx.task.replace(/[^A-Za-z0-9_.-]/g, '_')}-seed${ctx.seed}.stderr.log`),
  });
  const episodes = count('episodes', values.episodes, 1);
  const concurrency = count('concurrency', values.concurrency, 1);
  const seed = count('seed', values.seed, 0);
  const maxSteps = count('max-steps', values['max-steps'], 1);
  const result = await runEval({
    agent, tasks: values.tasks!, out,
    ...(episodes ? { episodes } : {}), ...(concurrency ? { concurrency } : {}), ...(seed !== undefined ? { seed } : {}), ...(maxSteps ? { maxSteps } : {}),
    ...(values.url ? { url: values.url } : {}),
    ...(values.manifest ? { manifestPath: values.manifest } : {}),
    server: {
      // Ctrl-C: the server the run started kills its sandboxes and drops its namespaces before exiting
      handleSignals: true,
      ...(sandbox ? { sandbox } : {}), ...(values.target ? { targetDir: path.resolve(values.target) } : {}),
      ...(values['node-modules'] ? { nodeModulesDir: path.resolve(values['node-modules']) } : {}),
      ...(values['state-dir'] ? { stateDir: path.resolve(values['state-dir']) } : {}),
    },
    progress: (l) => process.stderr.write(`${l}\n`),
  });
  const tally = (o: string): number => result.records.filter((r) => r.outcome === o).length;
  const summary = { out: result.out, runId: result.runId, episodes: result.records.length, resolved: tally('resolved'), unresolved: tally('unresolved'), rejected: tally('rejected'), infraErrors: tally('infra-error') };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stdout.write(`${summary.episodes} episode(s): ${summary.resolved} resolved, ${summary.unresolved} unresolved, ${summary.rejected} rejected, ${summary.infraErrors} infra error(s); records in ${path.join(result.out, 'episodes.jsonl')}\n`);
  // an infra error is not the agent's result: the run is incomplete, say so in the exit code
  if (summary.infraErrors > 0) process.exitCode = 1;
}
