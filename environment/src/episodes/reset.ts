import { GRADER_VERSION, type Results } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import type { Task, TaskTree } from '../grading/tasks.ts';
import type { ResetRequestT, ResetResponseT } from '../schemas/api.ts';
import { errorMessage, newId } from '../util.ts';
import { ENV_VERSION } from '../version.ts';
import { Episode } from './episode.ts';
import { iso } from './info.ts';
import type { NamespacePool } from './namespace-pool.ts';
import { provision, resetObservation } from './provision.ts';
import { describeWithHints } from '../scenarios/tasks.ts';
import type { EpisodeServiceDeps } from './service.ts';
import type { EpisodeTeardown } from './teardown.ts';

export interface ResetDeps {
  d: EpisodeServiceDeps;
  pool: NamespacePool | null;
  teardown: EpisodeTeardown;
  closing: () => boolean;
}

/** Starts an episode: its task tree, the task's baseline, a workspace, a uid and a namespace. */
export async function startEpisode(r: ResetDeps, req: ResetRequestT): Promise<ResetResponseT> {
  const { options, registry, catalogue } = r.d;
  if (r.closing()) throw new EnvError('ENV_ERR_SHUTTING_DOWN', 'the server is shutting down; no new episodes');
  const started = performance.now();
  const task = await catalogue.get(req.task ?? 'full');
  const seed = req.seed ?? 0;
  const maxSteps = req.options?.maxSteps ?? options.maxSteps;
  const description = taskDescription(task, req.options?.hints ?? 'none');
  if (registry.active() >= options.maxEpisodes) {
    throw new EnvError('ENV_ERR_CAPACITY', `the server already runs ${registry.active()} episodes (its limit is ${options.maxEpisodes}); close one with DELETE /v1/episodes/:id or retry later`);
  }
  const ep = new Episode(newId('ep'), task, seed, maxSteps, options.clock.now());
  registry.add(ep); // counts against capacity from here on
  const log = r.d.log.child({ episodeId: ep.id, task: task.id });
  const timings: Record<string, number> = {};
  // Tracked as the episode's request, so a DELETE or a shutdown during the reset waits for it.
  const work = prepare(r, ep, task, timings);
  ep.inflight = work;
  try {
    const baseline = await work;
    ep.inflight = undefined;
    if (ep.status !== 'starting') throw new EnvError(r.closing() ? 'ENV_ERR_SHUTTING_DOWN' : 'ENV_ERR_EPISODE_EXPIRED', `episode ${ep.id} was ${ep.status} while it started`);
    const tree = ep.tree!;
    ep.status = 'running';
    registry.touch(ep);
    r.d.store.startEpisode({
      id: ep.id, task: task.id, seed, mode: task.mode, taskHash: tree.contentHash, graderVersion: GRADER_VERSION,
      envVersion: ENV_VERSION, sandbox: r.d.backend.kind, maxSteps, createdAt: iso(ep.createdAt),
    });
    const observation = await resetObservation(ep, task, baseline, description);
    const durationMs = performance.now() - started;
    log.info({ event: 'reset', seed, maxSteps, hints: req.options?.hints ?? 'none', taskHash: tree.contentHash, namespace: ep.resources?.ns?.id ?? null, durationMs, timings }, 'episode started');
    return {
      episodeId: ep.id,
      observation,
      info: {
        task: task.id, seed, mode: task.mode, taskHash: tree.contentHash, maxSteps, leaseMs: options.leaseMs,
        graderVersion: GRADER_VERSION, envVersion: ENV_VERSION, sandbox: r.d.backend.kind, durationMs,
      },
    };
  } catch (err) {
    ep.inflight = undefined;
    log.warn({ event: 'reset-failed', err: errorMessage(err) }, 'episode could not start');
    registry.remove(ep);
    await r.teardown.release(ep);
    throw err;
  }
}

/** The description the episode starts with: a scenario's incident, with its hints section when asked for. */
function taskDescription(task: Task, hints: 'none' | 'hints'): string {
  if (hints === 'none') return task.description;
  if (task.hints === undefined) {
    throw new EnvError('ENV_ERR_VALIDATION', `options.hints: task ${task.id} has no hints (scenario tasks have them); expected "none" or no hints option`);
  }
  return describeWithHints(task.description, task.hints);
}

/** The slow part of a reset, timed: the task tree, its (accepted) baseline, the episode's resources. */
async function prepare(r: ResetDeps, ep: Episode, task: Task, timings: Record<string, number>): Promise<Results> {
  let mark = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
  const tree: TaskTree = await r.d.catalogue.tree(task);
  ep.tree = tree;
  lap('tree');
  const baseline = await r.d.grading.baseline(tree);
  lap('baseline');
  await provision(ep, tree, { options: r.d.options, backend: r.d.backend, pool: r.pool }, lap);
  return baseline;
}
