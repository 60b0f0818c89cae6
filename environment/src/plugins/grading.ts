import fp from 'fastify-plugin';
import { GradingService } from '../grading/service.ts';
import { TaskCatalogue } from '../grading/tasks.ts';
import './types.ts';

export default fp(async (app) => {
  const tasks = new TaskCatalogue(app.envOptions);
  app.decorate('tasks', tasks);
  app.decorate('grading', new GradingService(app.envOptions, app.sandbox, tasks));
  app.addHook('onClose', async () => {
    await app.grading.close();
    await tasks.close();
  });
}, { name: 'env-grading', dependencies: ['env-config', 'env-sandbox'] });
