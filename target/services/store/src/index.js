'use strict';

const path = require('node:path');
const { service, events } = require('../../../shared');
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
  async consumers({ config, clients, logger, app, onStop }) {
    const subscription = await events.subscribe({
      rabbit: clients.rabbit,
      queue: QUEUE,
      handler: app.storeParts.handleWindow,
      prefetch: config.STORE_PREFETCH,
      maxAttempts: config.STORE_MAX_ATTEMPTS,
      logger,
    });
    onStop(() => subscription.cancel());
  },
  onListening({ app, onStop }) {
    app.storeParts.maintenance.start();
    onStop(() => app.storeParts.maintenance.stop());
  },
});

module.exports = { ...store, MIGRATIONS_DIR, QUEUE };

if (require.main === module) store.main();
