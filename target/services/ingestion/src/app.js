'use strict';

const crypto = require('node:crypto');
const { events: { createPublisher }, service: { createHttpApp, postgresCheck, GATEWAY_SECURITY } } = require('../../../shared');
const { INGEST_ERRORS } = require('./errors');
const { createBuffer } = require('./buffer');
const { createOutboxWriter } = require('./store');
const { createOutboxRelay } = require('./outbox');
const { eventRoutes } = require('./http/routes');
const { guardConnections } = require('./connection');

/**
 * @param {object} deps
 * @param {object} deps.config typed config (config.parseConfig)
 * @param {object} deps.clock
 * @param {{ postgres: object, redis: object, rabbit?: object, publisher?: object }} deps.clients
 * @param {object} deps.logger
 * @param {(fn: () => unknown) => void} [deps.onStop]
 * @param {() => string} [deps.idFactory] batch ids
 */
function createApp({ config, clock, clients, logger, onStop = () => {}, idFactory = () => crypto.randomUUID() }) {
  const { postgres, redis } = clients;
  guardConnections(postgres, 'pipeline', logger);
  const publisher = clients.publisher || createPublisher({ rabbit: clients.rabbit, clock, appId: 'ingestion' });
  const relay = createOutboxRelay({ postgres, publisher, clock, logger });
  const write = createOutboxWriter({ postgres, redis, clock, logger });
  const buffer = createBuffer({
    // Each stored batch is relayed right away; what the relay cannot send waits for the periodic run.
    sink: async (batch) => {
      const stored = await write(batch);
      relay.flushQuietly();
      return stored;
    },
    clock,
    batchSize: config.INGEST_BATCH_SIZE,
    flushMs: config.INGEST_FLUSH_MS,
    maxEvents: config.INGEST_BUFFER_MAX,
    logger,
  });
  // Buffered events are written before the clients close.
  onStop(async () => {
    await buffer.close();
    await relay.idle();
  });

  const app = createHttpApp({
    service: 'ingestion',
    prefix: 'INGEST',
    catalogue: INGEST_ERRORS,
    logger,
    clock,
    bodyLimit: config.INGEST_MAX_BODY_BYTES,
    checks: {
      postgres: postgresCheck(postgres, 'pipeline', config.DB_TIMEOUT_MS),
      outboxPending: { run: () => relay.pending(), deadlineMs: config.DB_TIMEOUT_MS },
    },
    openapi: {
      description: 'Accepts events (one or a batch, schema versions 1 and 2, optionally gzip), buffers them, writes them to the pipeline outbox and the tenant stream, and publishes ingestion.record.',
      securitySchemes: GATEWAY_SECURITY,
    },
  });
  app.decorate('ingestion', { buffer, relay });
  app.register(eventRoutes, { prefix: '/v1', config, buffer, relay, idFactory });
  return app;
}

module.exports = { createApp };
