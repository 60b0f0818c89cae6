'use strict';

const { ingestionError } = require('../errors');
const { decodeBody, parseJson } = require('./decompress');
const { validateEvents } = require('../schema');
const { toRecord } = require('../records');
const { requireCaller } = require('../identity');

// fastify's own refusals of a body, said with ingestion's codes.
const FASTIFY_CODES = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'INGEST_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'INGEST_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INGEST_INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INGEST_INVALID_REQUEST',
};

/**
 * POST /events and GET /events/stats (under /v1).
 * @param {object} app fastify scope
 * @param {{ config: object, buffer: object, relay: object, idFactory: () => string }} options
 */
async function eventRoutes(app, { config, buffer, relay, idFactory }) {
  app.addHook('onRequest', requireCaller(config));
  app.setErrorHandler((err, req, reply) => {
    const code = FASTIFY_CODES[err.code];
    throw code ? ingestionError(code, err.message) : err;
  });

  // JSON bodies are read as bytes: a gzip body is inflated (with its own cap) before it is parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: config.INGEST_MAX_BODY_BYTES }, (req, raw, done) => {
    try {
      const bytes = decodeBody(raw, req.headers['content-encoding'], { maxInflatedBytes: config.INGEST_MAX_INFLATED_BYTES });
      done(null, parseJson(bytes));
    } catch (err) {
      done(err);
    }
  });
  app.addContentTypeParser('*', (req, payload, done) => {
    done(ingestionError('INGEST_UNSUPPORTED_MEDIA_TYPE', `content-type ${JSON.stringify(req.headers['content-type'] || '')} is not supported; send application/json`));
  });

  app.post('/events', {
    schema: {
      summary: 'Send one event or a batch { events: [...] }',
      description: 'x-schema-version 1 (default) or 2 (adds dimensions); Content-Encoding gzip accepted. 202 once the events are buffered; 503 with Retry-After while the buffer is full.',
      tags: ['events'],
      security: [{ gateway: [] }],
    },
  }, async (req, reply) => {
    if (req.body === undefined) throw ingestionError('INGEST_INVALID_REQUEST', 'a JSON body is required');
    const { version, events } = validateEvents(req.body, req.headers, { maxEvents: config.INGEST_MAX_EVENTS });
    const batchId = idFactory();
    const records = events.map((event) => toRecord(event, { tenantId: req.caller.tenantId, batchId, version }));
    try {
      buffer.push(records);
    } catch (err) {
      if (err.code === 'INGEST_BUFFER_FULL') reply.header('retry-after', String(Math.max(1, Math.ceil(config.INGEST_FLUSH_MS / 1000))));
      throw err;
    }
    reply.code(202);
    return { batchId, accepted: records.length, eventIds: records.map((r) => r.eventId) };
  });

  app.get('/events/stats', { schema: { summary: 'Buffered and unpublished events', tags: ['events'], security: [{ gateway: [] }] } }, async () => ({
    ...buffer.stats(),
    outboxPending: await relay.pending(),
  }));
}

module.exports = { eventRoutes };
