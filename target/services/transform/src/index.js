'use strict';

const path = require('node:path');
const { service, events } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');
const { subscribeIngestion } = require('./consumer');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

const transform = service.defineService({
  name: 'transform',
  parseConfig,
  uses: { postgres: true, rabbit: true },
  migrations: { dir: MIGRATIONS_DIR, table: 'transform_migrations', database: 'pipeline' },
  // The exchange must exist before the first transform.record is published to it.
  topology: ({ clients }) => clients.rabbit.addSetup((channel) => events.setupTopology(channel, { queues: [] })),
  createApp: ({ config, clock, clients, logger, onStop }) => createApp({ config, clock, clients, logger, onStop }),
  async consumers({ config, clients, logger, app, options, onStop }) {
    const { processor, publisher } = app.transform;
    const subscription = await subscribeIngestion({
      rabbit: clients.rabbit,
      redis: clients.redis,
      processor,
      publisher,
      config,
      logger,
      onPublished: options.onPublished,
      onDuplicate: options.onDuplicate,
    });
    onStop(() => subscription.cancel());
  },
});

module.exports = { ...transform, MIGRATIONS_DIR };

if (require.main === module) transform.main();
