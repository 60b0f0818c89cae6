import fp from 'fastify-plugin';
import { EpisodeRegistry } from '../episodes/registry.ts';
import { EpisodeService } from '../episodes/service.ts';
import { errorMessage } from '../util.ts';
import './types.ts';

/**
 * Episodes and their reaper. At close, running episodes are stopped in preClose, before the server
 * waits for in-flight requests: their sandboxed runs are killed so a ten-minute test run does not
 * hold the shutdown, then their namespaces are dropped and workspaces removed.
 */
export default fp(async (app) => {
  const opts = app.envOptions;
  const registry = new EpisodeRegistry(opts.clock, opts.leaseMs);
  const service = new EpisodeService({
    options: opts, backend: app.sandbox, catalogue: app.tasks, grading: app.grading, registry, store: app.trajectories, log: app.log,
  });
  app.decorate('episodeRegistry', registry);
  app.decorate('episodes', service);

  let reaping = false;
  const timer = setInterval(() => {
    if (reaping) return;
    reaping = true;
    service.reapIdle()
      .then((n) => n > 0 && app.log.info({ event: 'reap', episodes: n }, 'reaped idle episodes'))
      .catch((err: unknown) => app.log.error({ err: errorMessage(err) }, 'reaper failed'))
      .finally(() => {
        reaping = false;
      });
  }, opts.reapIntervalMs);
  timer.unref();

  app.addHook('preClose', async () => {
    clearInterval(timer);
    await service.closeAll();
  });
}, { name: 'env-episodes', dependencies: ['env-config', 'env-sandbox', 'env-grading', 'env-trajectories'] });
