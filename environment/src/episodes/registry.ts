import type { Clock } from '../clock.ts';
import { EnvError } from '../errors.ts';
import type { EpisodeStatusT } from '../schemas/api.ts';
import type { Episode } from './episode.ts';

const MAX_TOMBSTONES = 10_000;

/**
 * Episodes by id. An episode holds a lease that every request renews; the reaper closes a running
 * episode idle past its lease (freeing its sandbox uid, workspace and namespace) and forgets an
 * ended one. Forgotten ids are remembered (bounded) so a late request gets 410, not 404.
 */
export class EpisodeRegistry {
  private readonly episodes = new Map<string, Episode>();
  private readonly tombstones = new Map<string, EpisodeStatusT>();

  constructor(private readonly clock: Clock, private readonly leaseMs: number) {}

  add(ep: Episode): void {
    this.episodes.set(ep.id, ep);
  }

  /** Running or starting: what counts against the server's capacity. */
  active(): number {
    let n = 0;
    for (const ep of this.episodes.values()) if (!ep.ended) n += 1;
    return n;
  }

  all(): Episode[] {
    return [...this.episodes.values()];
  }

  find(id: string): Episode | undefined {
    return this.episodes.get(id);
  }

  get(id: string): Episode {
    const ep = this.episodes.get(id);
    if (ep) return ep;
    const gone = this.tombstones.get(id);
    if (gone) throw new EnvError('ENV_ERR_EPISODE_EXPIRED', `episode ${id} is gone (${gone}); start a new one with POST /v1/reset`);
    throw new EnvError('ENV_ERR_UNKNOWN_EPISODE', `no episode has the id ${JSON.stringify(id)}; POST /v1/reset returns one`);
  }

  touch(ep: Episode): void {
    ep.lastActive = this.clock.now();
  }

  leaseExpiresAt(ep: Episode): number {
    return ep.lastActive + this.leaseMs;
  }

  /** Idle episodes, oldest first: the ones the reaper should close or forget. */
  idle(): Episode[] {
    const now = this.clock.now();
    return this.all()
      .filter((ep) => !ep.busy && ep.status !== 'starting' && now - ep.lastActive >= this.leaseMs)
      .sort((a, b) => a.lastActive - b.lastActive);
  }

  forget(ep: Episode): void {
    this.episodes.delete(ep.id);
    this.tombstones.set(ep.id, ep.status);
    if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
  }

  remove(ep: Episode): void {
    this.episodes.delete(ep.id);
  }
}
