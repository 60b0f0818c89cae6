import fp from 'fastify-plugin';
import type { EnvOptions } from '../options.ts';
import './types.ts';

export default fp<{ options: Readonly<EnvOptions> }>(async (app, { options }) => {
  app.decorate('envOptions', options);
}, { name: 'env-config', fastify: '5.x' });
