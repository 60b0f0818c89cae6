'use strict';

const { EventEmitter } = require('node:events');
const { clients: { createObjectStore }, service: { createHttpApp, registerApi, postgresCheck, GATEWAY_SECURITY } } = require('../../../shared');
const { STORE_ERRORS } = require('./errors');
const { requireCaller } = require('./identity');
const { createPartitions } = require('./partitions');
const { createArchive } = require('./archive');
const { createCompactor } = require('./compaction');
const { createWriter } = require('./rollups');
const { createWindowHandler } = require('./consume');
const { createQueries } = require('./queries');
const { createDownsampler } = require('./downsample');
const { createRetention } = require('./retention');
const { createExports } = require('./exports');
const { createMaintenance } = require('./maintenance');
const { seriesRoutes } = require('./routes/series');
const { exportRoutes } = require('./routes/exports');
const { retentionRoutes } = require('./routes/retention');

/**
 * pg reports a connection lost under a checked-out client (a transaction open while the archive
 * append runs, a statement in flight) as an 'error' event on that client, and the pool listens
 * only to idle ones: unheard, the event would end the process. The statement in flight fails
 * anyway, the transaction is rolled back and the delivery retried.
 */
function hearConnectionLoss(postgres, logger) {
  const heard = new WeakSet();
  // 'acquire', not 'connect': the migrations' connection was opened before the store existed.
  postgres.pool('metrics').on('acquire', (client) => {
    if (heard.has(client)) return;
    heard.add(client);
    client.on('error', (err) => logger.warn({ err }, 'metrics connection lost during a statement or transaction'));
  });
}

/**
 * The store's parts, wired: `{ partitions, archive, compactor, writer, handleWindow, queries,
 * downsampler, retention, exports, maintenance, events }`. `events` announces each delivery the
 * consumer is done with ('written', 'rejected', 'failed': consume.js).
 * `clients.objectStore` replaces the filesystem object store (anything with its interface).
 */
function createStorage({ config, clock, clients, logger }) {
  hearConnectionLoss(clients.postgres, logger);
  const objectStore = clients.objectStore || createObjectStore(config, { clock });
  const partitions = createPartitions({ postgres: clients.postgres });
  const archive = createArchive({ objectStore, bucket: config.OBJECT_STORE_BUCKET, clock });
  const compactor = createCompactor({ objectStore, archive, minSegments: config.STORE_COMPACT_MIN_SEGMENTS });
  const writer = createWriter({ postgres: clients.postgres, partitions, archive, clock });
  const events = new EventEmitter();
  const handleWindow = createWindowHandler({ writer, emitter: events });
  const queries = createQueries({ postgres: clients.postgres, maxPoints: config.STORE_MAX_POINTS });
  const downsampler = createDownsampler({ postgres: clients.postgres, partitions, clock });
  const retention = createRetention({ postgres: clients.postgres, clock, defaultDays: config.STORE_RETENTION_DAYS });
  const exports = createExports({ dir: config.STORE_EXPORT_DIR, queries, clock });
  const parts = { partitions, archive, compactor, writer, handleWindow, queries, downsampler, retention, exports, events };
  parts.maintenance = createMaintenance({ parts, clock, intervalMs: config.STORE_MAINTENANCE_INTERVAL_MS, logger });
  return parts;
}

function createApp({ config, clock, clients, logger }) {
  const storage = createStorage({ config, clock, clients, logger });
  const app = createHttpApp({
    service: 'store',
    prefix: 'STORE',
    catalogue: STORE_ERRORS,
    logger,
    clock,
    checks: { postgres: postgresCheck(clients.postgres, 'metrics', config.DB_TIMEOUT_MS) },
    openapi: {
      description: 'Stored rollups (the windows aggregate closes) with hourly and daily downsamples, range queries, retention per tenant, the archive of every window in the object store, and CSV exports.',
      securitySchemes: GATEWAY_SECURITY,
    },
  });
  app.decorate('storeParts', storage);
  registerApi(app, {
    guard: requireCaller(config),
    routes: [
      [seriesRoutes, { queries: storage.queries, archive: storage.archive }],
      [exportRoutes, { exports: storage.exports }],
      [retentionRoutes, { retention: storage.retention }],
    ],
  });
  return app;
}

module.exports = { createApp, createStorage };
