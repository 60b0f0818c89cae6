'use strict';

// Consumes `transform.ingestion` (ingestion.record events) and publishes one transform.record per
// event, with publisher confirms. Deliveries are deduplicated on the envelope id: a redelivery of
// an event already transformed and published is acked without publishing again. A delivery is
// acked only after its output is confirmed by the broker.

const { events: { subscribe, idempotent, createRedisIdempotencyStore } } = require('../../../shared');

// Failures of the tenant's own code or data come back the same on every attempt.
const FINAL_CODES = new Set(['TRANSFORM_EVENT_INVALID', 'TRANSFORM_UDF_FAILED']);

function createIngestionHandler({ processor, publisher, logger }) {
  return async function onIngestionRecord(event) {
    let envelope;
    try {
      envelope = await processor.process(event);
    } catch (err) {
      if (err && FINAL_CODES.has(err.code)) err.retryable = false;
      logger.warn({ eventId: event && event.id, code: err && err.code, err: err && err.message }, 'ingestion.record not transformed');
      throw err;
    }
    await publisher.publish('transform.record', envelope);
    return envelope;
  };
}

async function subscribeIngestion({ rabbit, redis, processor, publisher, config, logger, onPublished, onDuplicate }) {
  const handle = createIngestionHandler({ processor, publisher, logger });
  const store = createRedisIdempotencyStore({ redis, namespace: 'idem:transform' });
  const handler = idempotent(
    async (event, msg, ctx) => {
      const envelope = await handle(event, msg, ctx);
      if (onPublished) onPublished(envelope);
      return envelope;
    },
    { store, onDuplicate },
  );
  return subscribe({
    rabbit,
    queue: 'transform.ingestion',
    handler,
    prefetch: config.CONSUMER_PREFETCH,
    maxAttempts: config.CONSUMER_MAX_ATTEMPTS,
    logger,
  });
}

module.exports = { subscribeIngestion, createIngestionHandler };
