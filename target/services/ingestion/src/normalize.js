'use strict';

const { ingestionError } = require('./errors');

// Event times are stored and published as UTC ISO strings with milliseconds.

/** The event time of `ts` (ISO 8601) as UTC: `2024-05-01T12:00:00+02:00` → `2024-05-01T10:00:00.000Z`. */
function normalizeTimestamp(ts) {
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) throw ingestionError('INGEST_INVALID_EVENT', `ts ${JSON.stringify(ts)} is not a valid date-time`);
  return new Date(ms).toISOString();
}

module.exports = { normalizeTimestamp };
