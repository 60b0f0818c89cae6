import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EnvClientError } from '../client/client.ts';
import { EnvError } from '../errors.ts';
import { loadHostManifest } from '../eval/host-manifest.ts';
import { type SandboxKind, SANDBOX_KINDS } from '../options.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_STATE_DIR, DEFAULT_TARGET_DIR } from '../paths.ts';
import { serve, type RunningServer } from '../server.ts';
import { walkthroughPlan } from './plan.ts';
import { markdownTable, pointLine, summaryLine, writeCurveIntoDoc } from './render.ts';
import { replayWalkthrough, type CurvePoint, type WalkthroughResult } from './replay.ts';

// `datanexus-env walkthrough <NN>`: replays scenario NN's walkthrough over the HTTP API of a
// server it starts (or the one --url names) and prints the reward curve, one line per fix.
// --write-doc puts the curve into the walkthrough document: its figures are this command's output.
// --blocks grades once per masking group instead of once per fix: a few grades instead of one per
// bug, for a quick replay; the document's curve is always the per-fix one.
// Exit 0 when the curve ends with every test passing; 1 otherwise.

export const WALKTHROUGH_USAGE = `  datanexus-env walkthrough <NN> [--url http://host:port] [--write-doc | --blocks] [--order-only] [--json]
                     [--sandbox bwrap|unsafe-process|docker] [--target DIR] [--manifest FILE] [--scenarios DIR] [--node-modules DIR] [--state-dir DIR]
`;

interface Parsed {
  id: string;
  url?: string;
  writeDoc: boolean;
  blocks: boolean;
  orderOnly: boolean;
  json: boolean;
  sandbox?: SandboxKind;
  targetDir: string;
  manifestPath: string;
  scenariosDir: string;
  nodeModulesDir?: string;
  stateDir?: string;
}

function parse(argv: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' }, 'write-doc': { type: 'boolean' }, blocks: { type: 'boolean' }, 'order-only': { type: 'boolean' }, json: { type: 'boolean' }, sandbox: { type: 'string' },
      target: { type: 'string' }, manifest: { type: 'string' }, scenarios: { type: 'string' }, 'node-modules': { type: 'string' }, 'state-dir': { type: 'string' },
    },
    strict: true,
  });
  const id = positionals[0];
  if (positionals.length !== 1 || !id || !/^[0-9]{1,2}$/.test(id)) throw new EnvError('ENV_ERR_INVALID_OPTION', `expected one scenario number, e.g. 01\nusage:\n${WALKTHROUGH_USAGE}`);
  if (values.blocks && values['write-doc']) throw new EnvError('ENV_ERR_INVALID_OPTION', '--blocks and --write-doc: the document\'s curve is graded after every fix; drop --blocks to write it');
  const sandbox = values.sandbox as SandboxKind | undefined;
  if (sandbox !== undefined && !SANDBOX_KINDS.includes(sandbox)) throw new EnvError('ENV_ERR_INVALID_OPTION', `--sandbox: expected one of ${SANDBOX_KINDS.join(', ')}`);
  const targetDir = path.resolve(values.target ?? DEFAULT_TARGET_DIR);
  return {
    id: id.padStart(2, '0'),
    ...(values.url ? { url: values.url } : {}),
    writeDoc: values['write-doc'] ?? false,
    blocks: values.blocks ?? false,
    orderOnly: values['order-only'] ?? false,
    json: values.json ?? false,
    ...(sandbox ? { sandbox } : {}),
    targetDir,
    manifestPath: path.resolve(values.manifest ?? DEFAULT_MANIFEST_PATH),
    // as the server resolves it: scenarios/ next to the target
    scenariosDir: path.resolve(values.scenarios ?? path.join(path.dirname(targetDir), 'scenarios')),
    ...(values['node-modules'] ? { nodeModulesDir: path.resolve(values['node-modules']) } : {}),
    ...(values['state-dir'] ? { stateDir: path.resolve(values['state-dir']) } : {}),
  };
}

async function startServer(p: Parsed): Promise<{ server: RunningServer; ownStateDir: string | null }> {
  let ownStateDir: string | null = null;
  if (!p.stateDir) {
    // a state dir of its own (a server holds a lock on it), sharing the default cache of results
    await mkdir(DEFAULT_STATE_DIR, { recursive: true });
    ownStateDir = await mkdtemp(path.join(DEFAULT_STATE_DIR, 'walkthrough-'));
  }
  const server = await serve({
    port: 0, host: '127.0.0.1', logger: false, handleSignals: true,
    targetDir: p.targetDir, manifestPath: p.manifestPath, scenariosDir: p.scenariosDir,
    ...(p.sandbox ? { sandbox: p.sandbox } : {}),
    ...(p.nodeModulesDir ? { nodeModulesDir: p.nodeModulesDir } : {}),
    ...(ownStateDir ? { stateDir: ownStateDir, cacheDir: path.join(DEFAULT_STATE_DIR, 'cache') } : { stateDir: p.stateDir! }),
  });
  return { server, ownStateDir };
}

export async function runWalkthrough(p: Parsed, print: (line: string) => void): Promise<WalkthroughResult | null> {
  const plan = await walkthroughPlan({ manifestPath: p.manifestPath, scenariosDir: p.scenariosDir, id: p.id });
  print(`${plan.task}: ${plan.order.length} bugs, fix order (derived from the manifest's dependsOn): ${plan.order.join(' ')}`);
  print(`groups that mask each other (fixed as blocks): ${plan.groups.filter((g) => g.length > 1).map((g) => `{${g.join(' ')}}`).join(' ') || 'none'}`);
  if (p.orderOnly) return null;
  const manifest = await loadHostManifest(p.manifestPath);
  const started = p.url ? null : await startServer(p);
  try {
    let previous: CurvePoint | undefined;
    return await replayWalkthrough({
      url: p.url ?? started!.server.url,
      plan,
      fixOf: (id) => manifest.fixOf(id),
      blocks: p.blocks,
      onPoint: (pt) => {
        print(pointLine(pt, previous));
        previous = pt;
      },
    });
  } finally {
    if (started) {
      await started.server.close();
      if (started.ownStateDir) await rm(started.ownStateDir, { recursive: true, force: true });
    }
  }
}

export async function walkthroughCommand(argv: string[]): Promise<void> {
  const p = parse(argv);
  // with --json, stdout carries only the result; progress goes to stderr
  const print = (line: string): void => void (p.json ? process.stderr : process.stdout).write(`${line}\n`);
  const result = await runWalkthrough(p, print).catch((err: unknown) => {
    // the server refused or failed a request: not a usage error, and not this command's bug
    if (err instanceof EnvClientError) throw new EnvError('ENV_ERR_INFRA', err.message, { cause: err });
    throw err;
  });
  if (!result) return;
  print(summaryLine(result));
  if (p.writeDoc) {
    const plan = await walkthroughPlan({ manifestPath: p.manifestPath, scenariosDir: p.scenariosDir, id: p.id });
    const doc = path.join(p.scenariosDir, plan.scenario.walkthrough!);
    await writeCurveIntoDoc(doc, markdownTable(result));
    print(`wrote the curve into ${doc}`);
  }
  if (p.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.final.passed !== result.final.total) process.exitCode = 1;
}
