import { GRADER_VERSION, type Results } from '@datanexus/grader';
import type { FastifyBaseLogger } from 'fastify';
import { runAction, type ActionContext } from '../actions/index.ts';
import { EnvError } from '../errors.ts';
import type { GradeReport, GradingService } from '../grading/service.ts';
import type { TaskCatalogue } from '../grading/tasks.ts';
import type { EnvOptions } from '../options.ts';
import type { SandboxBackend } from '../sandbox/types.ts';
import type { Action } from '../schemas/actions.ts';
import type { CloseResponseT, EpisodeInfoT, EpisodeStatusT, ResetRequestT, ResetResponseT, RewardResponseT, StepResponseT } from '../schemas/api.ts';
import type { StepObservation, SubmitObs } from '../schemas/observations.ts';
import type { TrajectoryStore } from '../trajectories/store.ts';
import { canonicalJson, errorMessage, newId, sha256 } from '../util.ts';
import { ENV_VERSION } from '../version.ts';
import { removeTree } from '../workspace/tree.ts';
import { Episode } from './episode.ts';
import { NamespacePool } from './namespace-pool.ts';
import { provision, resetObservation } from './provision.ts';
import type { EpisodeRegistry } from './registry.ts';

export interface EpisodeServiceDeps {
  options: Readonly<EnvOptions>;
  backend: SandboxBackend;
  catalogue: TaskCatalogue;
  grading: GradingService;
  registry: EpisodeRegistry;
  store: TrajectoryStore;
  log: FastifyBaseLogger;
}

/**
 * reset / step / reward / close. Each episode handles one request at a time; a request that fails
 * validation (4xx) or the infrastructure (503) does not consume a step.
 */
export class EpisodeService {
  private closing = false;
  private readonly released = new WeakSet<Episode>();
  private readonly pool: NamespacePool | null;
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly d: EpisodeServiceDeps) {
    const o = d.options;
    this.pool = o.namespaceModule ? new NamespacePool(o.namespaceModule, o.namespaceDatabases, o.namespacePoolSize, d.log, d.grading.principals) : null;
    this.pool?.fill();
  }

  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  async reset(req: ResetRequestT): Promise<ResetResponseT> {
    if (this.closing) throw new EnvError('ENV_ERR_SHUTTING_DOWN', 'the server is shutting down; no new episodes');
    const started = performance.now();
    const { options, registry, catalogue, grading } = this.d;
    const task = await catalogue.get(req.task ?? 'full');
    const seed = req.seed ?? 0;
    const maxSteps = req.options?.maxSteps ?? options.maxSteps;
    if (registry.active() >= options.maxEpisodes) {
      throw new EnvError('ENV_ERR_CAPACITY', `the server already runs ${registry.active()} episodes (its limit is ${options.maxEpisodes}); close one with DELETE /v1/episodes/:id or retry later`);
    }
    const ep = new Episode(newId('ep'), task, seed, maxSteps, options.clock.now());
    registry.add(ep); // counts against capacity from here on
    const log = this.d.log.child({ episodeId: ep.id, task: task.id });
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (name: string): void => {
      const now = performance.now();
      timings[name] = Math.round(now - mark);
      mark = now;
    };
    let baseline: Results;
    // Tracked as the episode's request, so a DELETE or a shutdown during the reset waits for it.
    const work = (async () => {
      const tree = await catalogue.tree(task);
      ep.tree = tree;
      lap('tree');
      baseline = await grading.baseline(tree);
      lap('baseline');
      await provision(ep, tree, { options: this.d.options, backend: this.d.backend, pool: this.pool }, lap);
    })();
    ep.inflight = work;
    try {
      await work;
      ep.inflight = undefined;
      if (ep.status !== 'starting') throw new EnvError(this.closing ? 'ENV_ERR_SHUTTING_DOWN' : 'ENV_ERR_EPISODE_EXPIRED', `episode ${ep.id} was ${ep.status} while it started`);
      const tree = ep.tree!;
      ep.status = 'running';
      registry.touch(ep);
      this.d.store.startEpisode({
        id: ep.id, task: task.id, seed, mode: task.mode, taskHash: tree.contentHash, graderVersion: GRADER_VERSION,
        envVersion: ENV_VERSION, sandbox: this.d.backend.kind, maxSteps, createdAt: this.iso(ep.createdAt),
      });
      const observation = await resetObservation(ep, task, baseline!);
      const durationMs = performance.now() - started;
      log.info({ event: 'reset', seed, maxSteps, taskHash: tree.contentHash, namespace: ep.resources?.ns?.id ?? null, durationMs, timings }, 'episode started');
      return {
        episodeId: ep.id,
        observation,
        info: {
          task: task.id, seed, mode: task.mode, taskHash: tree.contentHash, maxSteps, leaseMs: options.leaseMs,
          graderVersion: GRADER_VERSION, envVersion: ENV_VERSION, sandbox: this.d.backend.kind, durationMs,
        },
      };
    } catch (err) {
      ep.inflight = undefined;
      log.warn({ event: 'reset-failed', err: errorMessage(err) }, 'episode could not start');
      registry.remove(ep);
      await this.release(ep);
      throw err;
    }
  }

  private context(ep: Episode): ActionContext {
    const r = ep.resources!;
    return {
      roots: { root: r.workspace, nodeModules: this.d.options.nodeModulesDir },
      backend: this.d.backend,
      uid: r.uid?.uid ?? null,
      env: r.env,
      mounts: r.mounts,
      reportDir: r.reportDir,
      options: this.d.options,
      grading: this.d.grading,
      redact: (t) => ep.redact(t),
      signal: ep.abort.signal,
    };
  }

  /** Runs fn as the episode's only request; the lease is renewed before and after. */
  private async exclusive<T>(ep: Episode, fn: () => Promise<T>): Promise<T> {
    if (ep.busy) throw new EnvError('ENV_ERR_EPISODE_BUSY', `episode ${ep.id} is still handling another request; send one request at a time`);
    ep.busy = true;
    this.d.registry.touch(ep);
    const p = fn();
    ep.inflight = p;
    try {
      return await p;
    } finally {
      ep.busy = false;
      ep.inflight = undefined;
      this.d.registry.touch(ep);
    }
  }

  private runnable(episodeId: string | undefined): Episode {
    if (!episodeId) throw new EnvError('ENV_ERR_RESET_NEEDED', 'no episodeId: call POST /v1/reset first; it returns the episodeId to step');
    const ep = this.d.registry.get(episodeId);
    if (ep.status === 'starting') throw new EnvError('ENV_ERR_EPISODE_BUSY', `episode ${ep.id} is still starting`);
    if (ep.ended) {
      throw new EnvError('ENV_ERR_RESET_NEEDED', `episode ${ep.id} has ended (${ep.status}, after ${ep.steps} steps); call POST /v1/reset to start a new one`);
    }
    return ep;
  }

  async step(req: { episodeId?: string; action: Action }): Promise<StepResponseT> {
    const ep = this.runnable(req.episodeId);
    return this.exclusive(ep, () => this.doStep(ep, req.action));
  }

  private async doStep(ep: Episode, action: Action): Promise<StepResponseT> {
    const started = performance.now();
    const startedAt = this.iso(this.d.options.clock.now());
    const log = this.d.log.child({ episodeId: ep.id, task: ep.task.id });
    let observation: StepObservation;
    let report: GradeReport | undefined;
    let terminated = false;
    let truncated = false;

    if (ep.gradePending) {
      // The budget ran out on the last step but its grade failed: this request only grades.
      report = await this.gradeEpisode(ep, ep.steps, 'final');
      observation = this.submitObservation(report);
      truncated = true;
    } else if (action.type === 'submit') {
      report = await this.gradeEpisode(ep, ep.steps + 1, 'final');
      if (ep.status !== 'running') throw new EnvError('ENV_ERR_EPISODE_EXPIRED', `episode ${ep.id} was ${ep.status} while it was graded`);
      ep.steps += 1;
      observation = this.submitObservation(report);
      terminated = true;
    } else {
      observation = await runAction(this.context(ep), action);
      if (ep.status !== 'running') throw new EnvError('ENV_ERR_EPISODE_EXPIRED', `episode ${ep.id} was ${ep.status} while the action ran`);
      ep.steps += 1;
      if (ep.steps >= ep.maxSteps) {
        try {
          report = await this.gradeEpisode(ep, ep.steps, 'final');
        } catch (err) {
          ep.gradePending = true;
          this.recordStep(ep, action, observation, 0, false, false, startedAt, performance.now() - started);
          throw err;
        }
        truncated = true;
      }
    }
    const reward = report ? report.grade.reward : 0;
    if (terminated || truncated) await this.end(ep, terminated ? 'terminated' : 'truncated', report);
    const durationMs = performance.now() - started;
    if (!ep.gradePending || !truncated) this.recordStep(ep, action, observation, reward, terminated, truncated, startedAt, durationMs);
    ep.gradePending = false;
    log.info({ event: 'step', step: ep.steps, action: action.type, ok: 'ok' in observation ? observation.ok : undefined, reward, terminated, truncated, durationMs }, 'step');
    return { observation, reward, terminated, truncated, info: { step: ep.steps, maxSteps: ep.maxSteps, durationMs, ...(report ? { grade: report } : {}) } };
  }

  private recordStep(ep: Episode, action: Action, observation: StepObservation, reward: number, terminated: boolean, truncated: boolean, startedAt: string, durationMs: number): void {
    this.d.store.recordStep({
      episodeId: ep.id, index: ep.steps, action, observationDigest: sha256(canonicalJson(observation)),
      reward, terminated, truncated, startedAt, durationMs,
    });
  }

  private submitObservation(report: GradeReport): SubmitObs {
    return {
      type: 'submit',
      ok: true,
      outcome: report.grade.outcome,
      reward: report.grade.reward,
      bugsFixed: report.grade.bugsFixed,
      counts: report.summary,
    };
  }

  private async gradeEpisode(ep: Episode, steps: number, kind: 'reward' | 'final'): Promise<GradeReport> {
    const report = await this.d.grading.grade({
      task: ep.task, tree: ep.tree!, workspace: ep.resources!.workspace, steps, maxSteps: ep.maxSteps, signal: ep.abort.signal,
    });
    this.d.store.recordGrade({
      episodeId: ep.id, step: steps, kind, contentHash: report.contentHash, reward: report.grade.reward,
      outcome: report.grade.outcome, cached: report.cached, durationMs: report.durationMs, grade: report.grade,
    });
    this.d.log.info({ episodeId: ep.id, event: 'grade', kind, step: steps, reward: report.grade.reward, outcome: report.grade.outcome, cached: report.cached, durationMs: report.durationMs }, 'graded');
    return report;
  }

  private async end(ep: Episode, status: EpisodeStatusT, report: GradeReport | undefined): Promise<void> {
    ep.status = status;
    ep.finalReport = report;
    this.d.store.endEpisode({
      id: ep.id, status, endedAt: this.iso(this.d.options.clock.now()), steps: ep.steps,
      finalReward: report?.grade.reward ?? null, outcome: report?.grade.outcome ?? null,
    });
    // An ended episode keeps only its record and final grade: the sandbox uid, workspace and namespace go now.
    await this.release(ep);
  }

  async reward(episodeId: string): Promise<RewardResponseT> {
    const ep = this.d.registry.get(episodeId);
    if (ep.ended) {
      if (!ep.finalReport) throw new EnvError('ENV_ERR_RESET_NEEDED', `episode ${ep.id} ended (${ep.status}) without a grade`);
      return { episodeId: ep.id, final: true, step: ep.steps, report: ep.finalReport };
    }
    if (ep.status === 'starting') throw new EnvError('ENV_ERR_EPISODE_BUSY', `episode ${ep.id} is still starting`);
    const report = await this.exclusive(ep, () => this.gradeEpisode(ep, ep.steps, 'reward'));
    return { episodeId: ep.id, final: false, step: ep.steps, report };
  }

  info(id: string): EpisodeInfoT {
    const ep = this.d.registry.find(id);
    if (ep) {
      return {
        episodeId: ep.id, task: ep.task.id, seed: ep.seed, status: ep.status, steps: ep.steps, maxSteps: ep.maxSteps,
        taskHash: ep.tree?.contentHash ?? '', createdAt: this.iso(ep.createdAt), lastActiveAt: this.iso(ep.lastActive),
        leaseExpiresAt: this.iso(this.d.registry.leaseExpiresAt(ep)),
        finalReward: ep.finalReport?.grade.reward ?? null, outcome: ep.finalReport?.grade.outcome ?? null,
      };
    }
    const rec = this.d.store.episode(id);
    if (rec) {
      return {
        episodeId: rec.id, task: rec.task, seed: rec.seed, status: rec.status as EpisodeStatusT, steps: rec.steps, maxSteps: rec.maxSteps,
        taskHash: rec.taskHash, createdAt: rec.createdAt, lastActiveAt: rec.endedAt ?? rec.createdAt, leaseExpiresAt: null,
        finalReward: rec.finalReward, outcome: rec.outcome,
      };
    }
    this.d.registry.get(id); // throws EXPIRED or UNKNOWN
    throw new EnvError('ENV_ERR_UNKNOWN_EPISODE', `no episode has the id ${JSON.stringify(id)}`);
  }

  async close(id: string, reason: 'closed' | 'reaped' | 'shutdown' = 'closed'): Promise<CloseResponseT> {
    const ep = this.d.registry.get(id);
    await this.stop(ep, reason);
    this.d.registry.forget(ep);
    return { episodeId: ep.id, status: ep.status };
  }

  /** Ends a running episode from outside: cancels its run, waits for its request, frees everything. */
  private async stop(ep: Episode, reason: 'closed' | 'reaped' | 'shutdown'): Promise<void> {
    if (!ep.ended) {
      ep.status = reason;
      ep.abort.abort();
      await ep.inflight?.catch(() => undefined);
      this.d.store.endEpisode({ id: ep.id, status: reason, endedAt: this.iso(this.d.options.clock.now()), steps: ep.steps, finalReward: null, outcome: null });
      this.d.log.info({ episodeId: ep.id, event: reason, steps: ep.steps }, `episode ${reason}`);
    }
    await this.release(ep);
  }

  /** Closes running episodes idle past their lease and forgets ended ones; returns how many. */
  async reapIdle(): Promise<number> {
    const idle = this.d.registry.idle();
    for (const ep of idle) {
      if (!ep.ended) await this.stop(ep, 'reaped');
      this.d.registry.forget(ep);
    }
    return idle.length;
  }

  async closeAll(): Promise<void> {
    this.closing = true;
    // Kill every sandboxed run first (shared baselines and grades included): nothing is worth
    // waiting for at shutdown, and requests in flight then finish at once.
    await this.d.backend.close();
    await Promise.all(this.d.registry.all().map((ep) => this.stop(ep, 'shutdown').catch((err) => {
      this.d.log.error({ episodeId: ep.id, err: errorMessage(err) }, 'could not release an episode at shutdown');
    })));
    await this.settled();
    await this.pool?.close();
  }

  /** Every released episode's namespace is dropped and workspace removed. */
  async settled(): Promise<void> {
    while (this.cleanups.size > 0) await Promise.allSettled([...this.cleanups]);
    await this.pool?.settled();
  }

  /**
   * Frees an episode's resources. Its processes are dead once this returns (runs are cancelled and
   * awaited before), so its uid is free at once; dropping the namespace (seconds) and removing the
   * workspace happen after the response, tracked so shutdown waits for them.
   */
  private async release(ep: Episode): Promise<void> {
    const r = ep.resources;
    if (!r || this.released.has(ep)) return;
    this.released.add(ep);
    ep.abort.abort();
    r.uid?.release();
    const cleanup = Promise.all([
      r.ns ? (this.pool ? this.pool.drop(r.ns) : r.ns.drop()) : undefined,
      removeTree(r.dir),
    ]).then(() => undefined, (err: unknown) => this.d.log.warn({ episodeId: ep.id, err: errorMessage(err) }, 'episode resources not released cleanly'));
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }
}
