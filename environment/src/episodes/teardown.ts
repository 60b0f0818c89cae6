import { errorMessage } from '../util.ts';
import { removeTree } from '../workspace/tree.ts';
import type { Episode } from './episode.ts';
import { iso } from './info.ts';
import type { NamespacePool } from './namespace-pool.ts';
import type { EpisodeServiceDeps } from './service.ts';

export type StopReason = 'closed' | 'reaped' | 'shutdown';

/** Ending episodes from outside and freeing what they hold (uid, namespace, workspace). */
export class EpisodeTeardown {
  private readonly released = new WeakSet<Episode>();
  private readonly cleanups = new Set<Promise<void>>();

  constructor(private readonly d: EpisodeServiceDeps, private readonly pool: NamespacePool | null) {}

  /** Ends a running episode from outside: cancels its run, waits for its request, frees everything. */
  async stop(ep: Episode, reason: StopReason): Promise<void> {
    if (!ep.ended) {
      ep.status = reason;
      ep.abort.abort();
      await ep.inflight?.catch(() => undefined);
      this.d.store.endEpisode({ id: ep.id, status: reason, endedAt: iso(this.d.options.clock.now()), steps: ep.steps, finalReward: null, outcome: null });
      this.d.log.info({ episodeId: ep.id, event: reason, steps: ep.steps }, `episode ${reason}`);
    }
    await this.release(ep);
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
  async release(ep: Episode): Promise<void> {
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
