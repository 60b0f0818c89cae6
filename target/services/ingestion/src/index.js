'use strict';

const path = require('node:path');
const { service, events } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

const ingestion = service.defineService({
  name: 'ingestion',
  parseConfig,
  uses: { postgres: true, rabbit: true },
  migrations: { dir: MIGRATIONS_DIR, table: 'ingestion_migrations', database: 'pipeline' },
  // The exchange must exist before the first record is published to it.
  topology: ({ clients }) => clients.rabbit.addSetup((channel) => events.setupTopology(channel, { queues: [] })),
  createApp: ({ config, clock, clients, logger, options, onStop }) => createApp({ config, clock, clients, logger, onStop, idFactory: options.idFactory }),
  async onListening({ config, clock, app, onStop }) {
    // Records left pending by a crash or a broker outage are sent by this periodic relay.
    const relayTimer = clock.setInterval(() => app.ingestion.relay.flushQuietly(), config.OUTBOX_INTERVAL_MS);
    if (relayTimer && typeof relayTimer.unref === 'function') relayTimer.unref();
    onStop(() => clock.clearInterval(relayTimer));
    await app.ingestion.relay.flushQuietly();
  },
});

module.exports = { ...ingestion, MIGRATIONS_DIR };

if (require.main === module) ingestion.main();
