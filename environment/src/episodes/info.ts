import { EnvError } from '../errors.ts';
import type { EpisodeInfoT, EpisodeStatusT } from '../schemas/api.ts';
import type { EpisodeServiceDeps } from './service.ts';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** An episode's status: from the registry while it is known, from the trajectory store after. */
export function episodeInfo(d: EpisodeServiceDeps, id: string): EpisodeInfoT {
  const ep = d.registry.find(id);
  if (ep) {
    return {
      episodeId: ep.id, task: ep.task.id, seed: ep.seed, status: ep.status, steps: ep.steps, maxSteps: ep.maxSteps,
      taskHash: ep.tree?.contentHash ?? '', createdAt: iso(ep.createdAt), lastActiveAt: iso(ep.lastActive),
      leaseExpiresAt: iso(d.registry.leaseExpiresAt(ep)),
      finalReward: ep.finalReport?.grade.reward ?? null, outcome: ep.finalReport?.grade.outcome ?? null,
    };
  }
  const rec = d.store.episode(id);
  if (rec) {
    return {
      episodeId: rec.id, task: rec.task, seed: rec.seed, status: rec.status as EpisodeStatusT, steps: rec.steps, maxSteps: rec.maxSteps,
      taskHash: rec.taskHash, createdAt: rec.createdAt, lastActiveAt: rec.endedAt ?? rec.createdAt, leaseExpiresAt: null,
      finalReward: rec.finalReward, outcome: rec.outcome,
    };
  }
  d.registry.get(id); // throws EXPIRED or UNKNOWN
  throw new EnvError('ENV_ERR_UNKNOWN_EPISODE', `no episode has the id ${JSON.stringify(id)}`);
}
