import fp from 'fastify-plugin';
import { createSandbox } from '../sandbox/index.ts';
import type { SandboxBackend } from '../sandbox/types.ts';
import './types.ts';

/** The sandbox backend, checked at boot: a host where it cannot run fails to start, with the reason. */
export default fp<{ backend?: SandboxBackend }>(async (app, { backend }) => {
  const sandbox = backend ?? createSandbox(app.envOptions);
  await sandbox.check();
  if (!sandbox.isolated) app.log.warn({ sandbox: sandbox.kind }, 'UNSAFE sandbox: agent commands run as plain processes with the whole host in reach; for development only');
  else app.log.info({ sandbox: sandbox.kind }, sandbox.description);
  app.decorate('sandbox', sandbox);
  app.addHook('onClose', async () => {
    await sandbox.close();
  });
}, { name: 'env-sandbox', dependencies: ['env-config', 'env-state'] });
