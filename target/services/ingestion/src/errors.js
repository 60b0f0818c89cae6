'use strict';

const { utils: { defineErrors }, service: { errorFactory } } = require('../../../shared');

const INGEST_ERRORS = defineErrors({
  INGEST_INVALID_REQUEST: { statusCode: 400, message: 'request is invalid' },
  INGEST_INVALID_JSON: { statusCode: 400, message: 'body is not valid JSON' },
  INGEST_UNSUPPORTED_VERSION: { statusCode: 400, message: 'unsupported x-schema-version' },
  INGEST_UNAUTHENTICATED: { statusCode: 401, message: 'authentication required' },
  INGEST_PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'body too large' },
  INGEST_UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, message: 'unsupported content type or encoding' },
  INGEST_INVALID_EVENT: { statusCode: 422, message: 'event does not match its schema' },
  INGEST_BUFFER_FULL: { statusCode: 503, message: 'ingestion is busy, retry later' },
  INGEST_STORE_UNAVAILABLE: { statusCode: 503, message: 'ingestion store unavailable' },
});

const ingestionError = errorFactory(INGEST_ERRORS);

module.exports = { INGEST_ERRORS, ingestionError };
