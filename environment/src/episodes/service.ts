import type { FastifyBaseLogger } from 'fastify';
import { EnvError } from '../errors.ts';
import type { GradingService } from '../grading/service.ts';
import type { TaskCatalogue } from '../grading/tasks.ts';
import type { EnvOptions } from '../options.ts';
import type { SandboxBackend } from '../sandbox/types.ts';
import type { Action } from '../schemas/actions.ts';
import type { CloseResponseT, EpisodeInfoT, EpisodeStatusT, ResetRequestT, ResetResponseT, RewardResponseT, StepResponseT } from '../schemas/api.ts';
import type { TrajectoryStore } from '../trajectories/store.ts';
import { errorMessage } from '../util.ts';
import type { GradeReport } from '../grading/service.ts';
import type { Episode } from './episode.ts';
import { episodeInfo, iso } from './info.ts';
import { NamespacePool } from './namespace-pool.ts';
import type { EpisodeRegistry } from './registry.ts';
import { startEpisode } from './reset.ts';
import { gradeEpisode, runStep } from './step.ts';
import { EpisodeTeardown, type StopReason } from './teardown.ts';

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
 * validation (4xx) or the infrastructure (503) does not consume a step. The work itself lives in
 * reset.ts (starting), step.ts (actions and grades), teardown.ts (ending and freeing), info.ts.
 */
export class EpisodeService {
  private closing = false;
  private readonly pool: NamespacePool | null;
  private readonly teardown: EpisodeTeardown;

  constructor(private readonly d: EpisodeServiceDeps) {
    const o = d.options;
    this.pool = o.namespaceModule ? new NamespacePool(o.namespaceModule, o.namespaceDatabases, o.namespacePoolSize, d.log, d.grading.principals) : null;
    this.pool?.fill();
    this.teardown = new EpisodeTeardown(d, this.pool);
  }

  reset(req: ResetRequestT): Promise<ResetResponseT> {
    return startEpisode({ d: this.d, pool: this.pool, teardown: this.teardown, closing: () => this.closing }, req);
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
    return this.exclusive(ep, () => runStep(this.d, ep, req.action, (e, status, report) => this.end(e, status, report)));
  }

  private async end(ep: Episode, status: EpisodeStatusT, report: GradeReport | undefined): Promise<void> {
    ep.status = status;
    ep.finalReport = report;
    this.d.store.endEpisode({
      id: ep.id, status, endedAt: iso(this.d.options.clock.now()), steps: ep.steps,
      finalReward: report?.grade.reward ?? null, outcome: report?.grade.outcome ?? null,
    });
    // An ended episode keeps only its record and final grade: the sandbox uid, workspace and namespace go now.
    await this.teardown.release(ep);
  }

  async reward(episodeId: string): Promise<RewardResponseT> {
    const ep = this.d.registry.get(episodeId);
    if (ep.ended) {
      if (!ep.finalReport) throw new EnvError('ENV_ERR_RESET_NEEDED', `episode ${ep.id} ended (${ep.status}) without a grade`);
      return { episodeId: ep.id, final: true, step: ep.steps, report: ep.finalReport };
    }
    if (ep.status === 'starting') throw new EnvError('ENV_ERR_EPISODE_BUSY', `episode ${ep.id} is still starting`);
    const report = await this.exclusive(ep, () => gradeEpisode(this.d, ep, ep.steps, 'reward'));
    return { episodeId: ep.id, final: false, step: ep.steps, report };
  }

  info(id: string): EpisodeInfoT {
    return episodeInfo(this.d, id);
  }

  async close(id: string, reason: StopReason = 'closed'): Promise<CloseResponseT> {
    const ep = this.d.registry.get(id);
    await this.teardown.stop(ep, reason);
    this.d.registry.forget(ep);
    return { episodeId: ep.id, status: ep.status };
  }

  /** Closes running episodes idle past their lease and forgets ended ones; returns how many. */
  async reapIdle(): Promise<number> {
    const idle = this.d.registry.idle();
    for (const ep of idle) {
      if (!ep.ended) await this.teardown.stop(ep, 'reaped');
      this.d.registry.forget(ep);
    }
    return idle.length;
  }

  async closeAll(): Promise<void> {
    this.closing = true;
    // Kill every sandboxed run first (shared baselines and grades included): nothing is worth
    // waiting for at shutdown, and requests in flight then finish at once.
    await this.d.backend.close();
    await Promise.all(this.d.registry.all().map((ep) => this.teardown.stop(ep, 'shutdown').catch((err) => {
      this.d.log.error({ episodeId: ep.id, err: errorMessage(err) }, 'could not release an episode at shutdown');
    })));
    await this.settled();
    await this.pool?.close();
  }

  /** Every released episode's namespace is dropped and workspace removed. */
  settled(): Promise<void> {
    return this.teardown.settled();
  }
}
