import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
  CloseResponse, EpisodeInfo, EpisodeParams, ErrorResponse, ResetRequest, ResetResponse, RewardRequest, RewardResponse,
  StepRequest, StepResponse, TasksResponse,
} from '../schemas/api.ts';

const errors = (...codes: number[]): Record<number, typeof ErrorResponse> => Object.fromEntries(codes.map((c) => [c, ErrorResponse]));

/** The episode API. Handlers are thin: the episode service does the work, errors leave through the catalogue. */
const v1: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/reset', {
    schema: {
      summary: 'Start an episode',
      description: 'Builds a workspace of the task (a copy of its tree, node_modules shared read-only), a namespace on PostgreSQL / Redis / RabbitMQ, and returns the first observation. The first reset of a task also runs its baseline (cached by content hash).',
      tags: ['episodes'],
      body: Type.Union([ResetRequest, Type.Null()]),
      response: { 200: ResetResponse, ...errors(400, 413, 415, 503) },
    },
  }, async (request) => app.episodes.reset(request.body ?? {}));

  app.post('/step', {
    schema: {
      summary: 'Take one action',
      description: 'Gymnasium\'s step: reward is 0 on every step but the last; submit (terminated) or the end of the step budget (truncated) grades the workspace and ends the episode.',
      tags: ['episodes'],
      body: StepRequest,
      response: { 200: StepResponse, ...errors(400, 404, 409, 410, 413, 415, 503) },
    },
  }, async (request) => app.episodes.step(request.body));

  app.post('/reward', {
    schema: {
      summary: 'Grade the workspace now',
      description: 'A full graded run of the agent\'s source changes over a pristine copy of the task (cached by content hash); does not use a step. After the end of an episode: its final grade.',
      tags: ['episodes'],
      body: RewardRequest,
      response: { 200: RewardResponse, ...errors(400, 404, 409, 410, 503) },
    },
  }, async (request) => app.episodes.reward(request.body.episodeId));

  app.get('/tasks', {
    schema: { summary: 'List the tasks', tags: ['tasks'], response: { 200: TasksResponse, ...errors(503) } },
  }, async () => ({
    tasks: (await app.tasks.list()).map((t) => ({ id: t.id, kind: t.kind, title: t.title, mode: t.mode, description: t.description })),
  }));

  app.get('/episodes/:id', {
    schema: { summary: 'Describe an episode', tags: ['episodes'], params: EpisodeParams, response: { 200: EpisodeInfo, ...errors(400, 404, 410) } },
  }, async (request) => app.episodes.info(request.params.id));

  app.delete('/episodes/:id', {
    schema: {
      summary: 'Close an episode',
      description: 'Kills its sandboxed processes, drops its namespace and removes its workspace.',
      tags: ['episodes'],
      params: EpisodeParams,
      response: { 200: CloseResponse, ...errors(400, 404, 410) },
    },
  }, async (request) => app.episodes.close(request.params.id));
};

export default v1;
