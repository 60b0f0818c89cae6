import { GRADER_VERSION } from '@datanexus/grader';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthResponse } from '../schemas/api.ts';
import { ENV_VERSION } from '../version.ts';

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: { summary: 'Liveness and configuration', tags: ['server'], response: { 200: HealthResponse } },
  }, async () => ({
    status: 'ok' as const,
    envVersion: ENV_VERSION,
    graderVersion: GRADER_VERSION,
    sandbox: { kind: app.sandbox.kind, isolated: app.sandbox.isolated, description: app.sandbox.description, limits: { ...app.sandbox.limitsInForce } },
    isolation: {
      // bwrap started as root: every run in a namespace without the host (principals need the same)
      network: app.grading.principals ? 'own-namespace' as const : 'host' as const,
      principals: app.grading.principals ? 'per-run' as const : 'none' as const,
    },
    episodes: { running: app.episodeRegistry.active(), max: app.envOptions.maxEpisodes },
    grading: { ...app.grading.incremental.stats },
  }));
};

export default health;
