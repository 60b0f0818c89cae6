import type { EpisodeRegistry } from '../episodes/registry.ts';
import type { EpisodeService } from '../episodes/service.ts';
import type { GradingService } from '../grading/service.ts';
import type { TaskCatalogue } from '../grading/tasks.ts';
import type { EnvOptions } from '../options.ts';
import type { SandboxBackend } from '../sandbox/types.ts';
import type { TrajectoryStore } from '../trajectories/store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    envOptions: Readonly<EnvOptions>;
    sandbox: SandboxBackend;
    trajectories: TrajectoryStore;
    tasks: TaskCatalogue;
    grading: GradingService;
    episodeRegistry: EpisodeRegistry;
    episodes: EpisodeService;
  }
}
