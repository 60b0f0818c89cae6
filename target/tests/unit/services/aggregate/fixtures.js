'use strict';

// Shared by aggregate's tests of every category: router.routed envelopes, the HTTP calls that
// define a tenant's rollups, a recording publisher, and reading the windows that were emitted.

const { validateEnvelope } = require('../../../../shared/contracts');
const { call, internalHeaders } = require('../../../support/http');

let counter = 0;

/** A valid router.routed envelope carrying one record at event time `ts` (ms or ISO). */
function routed({ id, tenantId = 'tenant-acme', topic = 'web', name = 'pageview', ts = 0, properties = {}, dimensions = {} } = {}) {
  counter += 1;
  const eventId = id || `rt-${counter}-${Math.floor(ts)}`;
  const iso = typeof ts === 'string' ? ts : new Date(ts).toISOString();
  return {
    id: eventId,
    type: 'router.routed',
    version: 1,
    occurredAt: iso,
    tenantId,
    data: {
      subscriptionId: `sub-${topic}`,
      topic,
      routingKey: name,
      sourceEventId: `src-${eventId}`,
      record: {
        eventId: `src-${eventId}`,
        batchId: 'batch-1',
        source: 'http',
        name,
        ts: iso,
        schemaVersion: 2,
        properties,
        dimensions,
        mappingVersion: 1,
      },
    },
  };
}

/** A publisher that records what it is given and checks each envelope like the real one. */
function recordingPublisher({ failWith } = {}) {
  const published = [];
  let attempts = 0;
  return {
    published,
    attempts: () => attempts,
    async publish(routingKey, envelope) {
      attempts += 1;
      const { valid, errors } = validateEnvelope(envelope);
      if (!valid) throw new Error(`invalid envelope: ${JSON.stringify(errors)}`);
      const err = failWith && failWith(envelope, attempts);
      if (err) throw err;
      published.push({ routingKey, envelope });
      return envelope;
    },
  };
}

/** The latest revision of every emitted window, keyed "rollupId|seriesKey|start|end". */
function latestWindows(envelopes) {
  const out = new Map();
  for (const e of envelopes) {
    const d = e.data;
    const key = `${d.rollupId}|${d.seriesKey}|${d.windowStart}|${d.windowEnd}`;
    if (!out.has(key) || out.get(key).revision < d.revision) out.set(key, d);
  }
  return out;
}

/** `[{ start, end, count, sum, revision }]` of one rollup's latest windows, by start (ms). */
function windowsOf(envelopes, rollupId, seriesKey) {
  return [...latestWindows(envelopes).values()]
    .filter((d) => d.rollupId === rollupId && (seriesKey === undefined || d.seriesKey === seriesKey))
    .map((d) => ({ ...d, start: Date.parse(d.windowStart), end: Date.parse(d.windowEnd) }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
}

function tenantApi(app, tenantId, role = 'admin') {
  const headers = internalHeaders({ tenantId, role });
  return {
    headers,
    get: (url) => call(app, { method: 'GET', url, headers }),
    del: (url) => call(app, { method: 'DELETE', url, headers }),
    post: (url, payload) => call(app, { method: 'POST', url, headers, payload }),
    /** Creates a rollup; throws unless 201. */
    async rollup(def) {
      const res = await call(app, { method: 'POST', url: '/v1/rollups', headers, payload: def });
      if (res.statusCode !== 201) throw new Error(`rollup ${def.rollupId}: ${res.statusCode} ${res.body}`);
      return res.json();
    },
  };
}

/** A tumbling count rollup body; `window` entries and other fields override. */
function tumbling(rollupId, sizeMs, { window = {}, ...rest } = {}) {
  return { rollupId, field: 'count', ...rest, window: { kind: 'tumbling', sizeMs, ...window } };
}

module.exports = { routed, recordingPublisher, latestWindows, windowsOf, tenantApi, tumbling };
