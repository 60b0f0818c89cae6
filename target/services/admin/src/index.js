'use strict';

const path = require('node:path');
const { service, events } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

const admin = service.defineService({
  name: 'admin',
  parseConfig,
  uses: { postgres: true, rabbit: true },
  migrations: { dir: MIGRATIONS_DIR, table: 'admin_migrations', database: 'users' },
  // The exchange must exist before the first event is published to it.
  topology: ({ clients }) => clients.rabbit.addSetup((channel) => events.setupTopology(channel, { queues: [] })),
  createApp: ({ config, clock, clients, logger, options }) => createApp({ config, clock, clients, logger, idFactory: options.idFactory }),
  async onListening({ config, clock, app, onStop }) {
    // Events left pending by a crash or a broker outage are sent by this periodic relay.
    const relayTimer = clock.setInterval(() => app.outbox.flushQuietly(), config.OUTBOX_INTERVAL_MS);
    if (relayTimer && typeof relayTimer.unref === 'function') relayTimer.unref();
    onStop(() => clock.clearInterval(relayTimer));
    await app.outbox.flushQuietly();
  },
});

module.exports = { ...admin, MIGRATIONS_DIR };

if (require.main === module) admin.main();
