'use strict';

const path = require('node:path');
const { service } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const QUEUE = 'store.rollups';

const store = service.defineService({
  name: 'store',
  parseConfig,
  uses: { postgres: true, rabbit: true },
  migrations: { dir: MIGRATIONS_DIR, table: 'store_migrations', database: 'metrics' },
  createApp: ({ config, clock, clients, logger }) => createApp({ config, clock, clients, logger }),
  consumers: (ctx) =>
    service.consumeQueue(ctx, {
      queue: QUEUE,
      handler: ctx.app.storeParts.handleWindow,
      prefetch: ctx.config.STORE_PREFETCH,
      maxAttempts: ctx.config.STORE_MAX_ATTEMPTS,
    }),
  onListening({ app, onStop }) {
    app.storeParts.maintenance.start();
    onStop(() => app.storeParts.maintenance.stop());
  },
});

module.exports = { ...store, MIGRATIONS_DIR, QUEUE };

if (require.main === module) store.main();
