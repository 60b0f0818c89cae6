import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { type EnvOptions, type EnvOptionsInput, resolveOptions } from './options.ts';
import configPlugin from './plugins/config.ts';
import episodesPlugin from './plugins/episodes.ts';
import errorsPlugin from './plugins/errors.ts';
import gradingPlugin from './plugins/grading.ts';
import sandboxPlugin from './plugins/sandbox.ts';
import statePlugin from './plugins/state.ts';
import trajectoriesPlugin from './plugins/trajectories.ts';
import healthRoutes from './routes/health.ts';
import v1Routes from './routes/v1.ts';
import type { SandboxBackend } from './sandbox/types.ts';
import { ENV_VERSION } from './version.ts';

export interface AppOptions extends EnvOptionsInput {
  /** fastify's logger option (pino): false for tests, true or an object for structured JSON logs. */
  logger?: FastifyServerOptions['logger'];
  /** A ready backend instead of the one `sandbox` names (tests). */
  sandboxBackend?: SandboxBackend;
}

/**
 * The environment server as a fastify instance, not listening: server.ts listens, tests inject.
 * Dependencies are named plugins (config → sandbox, trajectories → grading → episodes) so each
 * one states what it needs and the boot order follows from that.
 */
export async function buildApp(input: AppOptions = {}): Promise<FastifyInstance> {
  const { logger = false, sandboxBackend, ...rest } = input;
  const options: Readonly<EnvOptions> = resolveOptions(rest);
  const app = Fastify({
    logger,
    bodyLimit: options.bodyLimit,
    // boot checks the sandbox and shutdown drops every namespace (seconds each): avvio's default 10 s is too short
    pluginTimeout: 120_000,
    ajv: {
      customOptions: {
        // reject what the schema does not name instead of silently dropping it; no type coercion of JSON
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: true,
        discriminator: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(configPlugin, { options });
  await app.register(errorsPlugin);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'DataNexus Gym environment',
        version: ENV_VERSION,
        description: 'reset / step / reward over sandboxed workspaces of DataNexus. Errors carry a stable ENV_ERR_* code.',
      },
      tags: [{ name: 'episodes' }, { name: 'tasks' }, { name: 'server' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(statePlugin);
  await app.register(sandboxPlugin, sandboxBackend ? { backend: sandboxBackend } : {});
  await app.register(trajectoriesPlugin);
  await app.register(gradingPlugin);
  await app.register(episodesPlugin);
  await app.register(healthRoutes);
  await app.register(v1Routes, { prefix: '/v1' });
  return app;
}
