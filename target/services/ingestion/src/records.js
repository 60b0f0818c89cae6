'use strict';

const { events: { createEnvelope } } = require('../../../shared');
const { normalizeTimestamp } = require('./normalize');

const RECORD_TYPE = 'ingestion.record';

/**
 * The ingestion.record envelope of one validated event
 * (shared/contracts/ingestion/schemas/ingestion.record.v1.json): its id is the event's id, its
 * occurredAt the event time in UTC, its tenant the caller's.
 */
function toRecord(event, { tenantId, batchId, version }) {
  const ts = normalizeTimestamp(event.ts);
  const data = {
    eventId: event.eventId,
    batchId,
    source: event.source,
    name: event.name,
    ts,
    schemaVersion: version,
    properties: event.properties,
    dimensions: version >= 2 && event.dimensions ? event.dimensions : {},
  };
  return { tenantId, eventId: event.eventId, batchId, envelope: createEnvelope({ id: event.eventId, type: RECORD_TYPE, version: 1, occurredAt: ts, tenantId, data }) };
}

module.exports = { toRecord, RECORD_TYPE };
