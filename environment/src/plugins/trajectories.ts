import fp from 'fastify-plugin';
import { TrajectoryStore } from '../trajectories/store.ts';
import './types.ts';

export default fp(async (app) => {
  const store = new TrajectoryStore(app.envOptions.trajectoriesPath);
  app.decorate('trajectories', store);
  app.addHook('onClose', async () => store.close());
}, { name: 'env-trajectories', dependencies: ['env-config'] });
