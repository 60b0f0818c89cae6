'use strict';

const { ingestionError } = require('./errors');

// Event times are stored and published as UTC ISO strings with milliseconds. The contract
// (shared/contracts/ingestion/http/event.v1.json) says a timestamp without an offset is UTC, so
// the result never depends on the zone the server runs in.
const HAS_OFFSET = /(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** `2024-05-01T12:00:00+02:00` and `2024-05-01T10:00:00` → `2024-05-01T10:00:00.000Z`. */
function normalizeTimestamp(ts) {
  const ms = Date.parse(HAS_OFFSET.test(ts) ? ts : `${ts}Z`);
  if (Number.isNaN(ms)) throw ingestionError('INGEST_INVALID_EVENT', `ts ${JSON.stringify(ts)} is not a valid date-time`);
  return new Date(ms).toISOString();
}

module.exports = { normalizeTimestamp };
