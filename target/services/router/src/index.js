'use strict';

const path = require('node:path');
const { service, events } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const QUEUE = 'router.transform';

const router = service.defineService({
  name: 'router',
  parseConfig,
  uses: { postgres: true, rabbit: true },
  migrations: { dir: MIGRATIONS_DIR, table: 'router_migrations', database: 'pipeline' },
  // dn.events must exist before the first router.routed is published to it.
  topology: ({ clients }) => clients.rabbit.addSetup((channel) => events.setupTopology(channel, { queues: [] })),
  createApp: ({ config, clock, clients, logger, options }) => createApp({ config, clock, clients, logger, idFactory: options.idFactory }),
  consumers: (ctx) =>
    service.consumeQueue(ctx, {
      queue: QUEUE,
      handler: ctx.app.routerParts.handleRecord,
      prefetch: ctx.config.ROUTER_PREFETCH,
      maxAttempts: ctx.config.ROUTER_MAX_ATTEMPTS,
    }),
});

module.exports = { ...router, MIGRATIONS_DIR, QUEUE };

if (require.main === module) router.main();
