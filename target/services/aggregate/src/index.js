'use strict';

const path = require('node:path');
const { service, events } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const QUEUE = 'aggregate.routed';

const aggregate = service.defineService({
  name: 'aggregate',
  parseConfig,
  uses: { postgres: true, rabbit: true },
  migrations: { dir: MIGRATIONS_DIR, table: 'aggregate_migrations', database: 'metrics' },
  // dn.events must exist before the first aggregate.window.closed is published to it.
  topology: ({ clients }) => clients.rabbit.addSetup((channel) => events.setupTopology(channel, { queues: [] })),
  createApp: ({ config, clock, clients, logger }) => createApp({ config, clock, clients, logger }),
  async consumers({ config, clients, logger, app, onStop }) {
    const { ingress, engine } = app.aggregateParts;
    const subscription = await events.subscribe({
      rabbit: clients.rabbit,
      queue: QUEUE,
      handler: ingress.handleRouted,
      prefetch: config.AGGREGATE_PREFETCH,
      maxAttempts: config.AGGREGATE_MAX_ATTEMPTS,
      logger,
    });
    await engine.run();
    onStop(async () => {
      await subscription.cancel();
      await engine.stop({ drainWindows: config.AGGREGATE_DRAIN_ON_STOP });
    });
  },
});

module.exports = { ...aggregate, MIGRATIONS_DIR, QUEUE };

if (require.main === module) aggregate.main();
