import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { RUN_META_SCHEMA, type EpisodeRecord, type RunMeta } from '@datanexus/grader';
import { EnvClient } from '../client/client.ts';
import { EnvError } from '../errors.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_STATE_DIR, DEFAULT_TARGET_DIR } from '../paths.ts';
import { serve, type RunningServer, type ServeOptions } from '../server.ts';
import type { Agent } from './agents/types.ts';
import { runEpisode, type EpisodeJob } from './episode.ts';
import { loadHostManifest } from './host-manifest.ts';
import { selectTasks } from './tasks.ts';
import { writeJsonFile } from './write.ts';

// `datanexus-env eval`: every (task, episode) pair of the run, k at a time, over the HTTP API of
// a server it starts (or the one --url names). Each record is appended to episodes.jsonl as soon
// as its episode ends, so an interrupted run keeps what it finished.

export interface EvalOptions {
  agent: Agent;
  tasks: string;
  episodes?: number;
  concurrency?: number;
  out: string;
  /** A running server; without it one is started with `server` options and stopped at the end. */
  url?: string;
  server?: ServeOptions;
  /** The manifest the oracle takes its fixes from and the records their bug classes from. */
  manifestPath?: string;
  /** First seed; episode e of a task uses seed + e. */
  seed?: number;
  maxSteps?: number;
  progress?: (line: string) => void;
}

export interface EvalResult {
  out: string;
  runId: string;
  records: EpisodeRecord[];
}

async function assertEmptyOut(out: string): Promise<void> {
  const entries: string[] = await readdir(out).catch(() => []);
  if (entries.includes('episodes.jsonl')) throw new EnvError('ENV_ERR_INVALID_OPTION', `--out ${out} already holds a run (episodes.jsonl): choose a new directory`);
}

async function startServer(opts: EvalOptions): Promise<{ server: RunningServer; stateDir: string | null }> {
  let stateDir: string | null = null;
  const given = opts.server ?? {};
  if (!given.stateDir) {
    // a state dir of its own (a server holds a pid lock on it), sharing the default cache of results
    await mkdir(DEFAULT_STATE_DIR, { recursive: true });
    stateDir = await mkdtemp(path.join(DEFAULT_STATE_DIR, 'eval-'));
  }
  const server = await serve({
    port: 0, host: '127.0.0.1', logger: false, ...given,
    ...(stateDir ? { stateDir, cacheDir: given.cacheDir ?? path.join(DEFAULT_STATE_DIR, 'cache') } : {}),
  });
  return { server, stateDir };
}

/** Runs `jobs` with at most `k` in flight, in order of the list. */
async function pool<T>(jobs: T[], k: number, work: (job: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await work(jobs[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(k, jobs.length) }, worker));
}

function line(r: EpisodeRecord, done: number, total: number, elapsedMs: number): string {
  const eta = done < total ? `, ~${Math.round(((elapsedMs / done) * (total - done)) / 1000)} s left` : '';
  const what = r.outcome === 'infra-error' ? `infra-error (${r.error?.code ?? '?'}: ${(r.error?.message ?? '').slice(0, 160)})` : `${r.outcome}, reward ${r.reward!.toFixed(3)}`;
  return `[${done}/${total}] ${r.agent.name} ${r.task} seed ${r.seed}: ${what} in ${r.steps} step(s), ${(r.wallMs / 1000).toFixed(1)} s${eta}`;
}

export async function runEval(opts: EvalOptions): Promise<EvalResult> {
  const episodes = opts.episodes ?? 1;
  const concurrency = opts.concurrency ?? 1;
  if (episodes < 1 || concurrency < 1) throw new EnvError('ENV_ERR_INVALID_OPTION', '--episodes and --concurrency must be at least 1');
  const out = path.resolve(opts.out);
  await assertEmptyOut(out);
  const manifestPath = path.resolve(opts.manifestPath ?? opts.server?.manifestPath ?? DEFAULT_MANIFEST_PATH);
  const targetDir = opts.server?.targetDir ?? DEFAULT_TARGET_DIR;
  const manifest = await loadHostManifest(manifestPath, opts.server?.scenariosDir ?? path.join(path.dirname(path.resolve(targetDir)), 'scenarios'));
  const progress = opts.progress ?? (() => {});
  const started = opts.url ? null : await startServer({ ...opts, server: { ...opts.server, manifestPath } });
  const url = opts.url ?? started!.server.url;
  try {
    const client = new EnvClient({ baseUrl: url });
    const [health, catalogue] = await Promise.all([client.health(), client.tasks()]).catch((err: unknown) => {
      throw new EnvError('ENV_ERR_INFRA', `cannot use the server at ${url}: ${(err as Error).message}`, { cause: err });
    });
    const tasks = selectTasks(opts.tasks, catalogue.tasks.map((t) => t.id));
    const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${opts.agent.name}-${randomUUID().slice(0, 8)}`;
    const meta: RunMeta = {
      schema: RUN_META_SCHEMA, runId, agent: { name: opts.agent.name, version: opts.agent.version }, tasks, episodes, concurrency,
      startedAt: new Date().toISOString(), finishedAt: null,
      server: { url, started: started !== null, envVersion: health.envVersion, graderVersion: health.graderVersion, sandbox: health.sandbox.kind },
    };
    await mkdir(out, { recursive: true });
    await writeJsonFile(path.join(out, 'run.json'), meta);
    const jobs: EpisodeJob[] = tasks.flatMap((task) => Array.from({ length: episodes }, (_, e) => ({
      runId, task, seed: (opts.seed ?? 0) + e, episode: e, ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}),
    })));
    progress(`eval ${runId}: ${opts.agent.name} on ${tasks.length} task(s) × ${episodes} episode(s), ${concurrency} at a time, server ${url}`);
    const records: EpisodeRecord[] = [];
    const t0 = performance.now();
    await pool(jobs, concurrency, async (job) => {
      const record = await runEpisode(client, opts.agent, job, manifest);
      records.push(record);
      await appendFile(path.join(out, 'episodes.jsonl'), `${JSON.stringify(record)}\n`);
      progress(line(record, records.length, jobs.length, performance.now() - t0));
    });
    await writeJsonFile(path.join(out, 'run.json'), { ...meta, finishedAt: new Date().toISOString() });
    return { out, runId, records };
  } finally {
    if (started) {
      await started.server.close();
      if (started.stateDir) await rm(started.stateDir, { recursive: true, force: true });
    }
  }
}
