'use strict';

// Shared by the store's tests of every category: aggregate.window.closed envelopes built from the
// values a window saw (so count, sum, mean and variance are right by construction), and the HTTP
// calls a tenant makes.

const crypto = require('node:crypto');
const { call, internalHeaders } = require('../../../support/http');

const MINUTE = 60_000;

/** Count, sum, min, max, mean, population variance and histogram of `values`, as aggregate emits them. */
function statsOf(values, bounds = null) {
  const count = values.length;
  const sum = values.reduce((s, v) => s + v, 0);
  const mean = count === 0 ? null : sum / count;
  const variance = count === 0 ? null : values.reduce((s, v) => s + (v - mean) ** 2, 0) / count;
  let histogram = null;
  if (bounds) {
    const counts = bounds.map(() => 0).concat(0);
    for (const v of values) {
      const i = bounds.findIndex((b) => v <= b);
      counts[i === -1 ? bounds.length : i] += 1;
    }
    histogram = { bounds, counts };
  }
  return { count, sum, min: count ? Math.min(...values) : null, max: count ? Math.max(...values) : null, mean, variance, histogram };
}

function envelopeId(tenantId, d) {
  const digest = crypto.createHash('sha256').update([tenantId, d.rollupId, d.seriesKey, d.windowStart, d.windowEnd, d.revision].join('|')).digest('hex');
  return `agg-${digest.slice(0, 40)}`;
}

/**
 * An aggregate.window.closed envelope.
 * @param {object} o
 * @param {string|number} o.start window start (ISO or ms)
 * @param {number[]} [o.values] what the window saw
 */
function windowEvent({ tenantId = 'tenant-acme', rollupId = 'checkout-amount', seriesKey = 'country=DE', start = '2024-05-01T10:00:00.000Z', sizeMs = MINUTE, windowKind = 'tumbling', revision = 1, values = [10], bounds = null } = {}) {
  const startMs = typeof start === 'number' ? start : Date.parse(start);
  const data = {
    rollupId,
    seriesKey,
    windowKind,
    windowStart: new Date(startMs).toISOString(),
    windowEnd: new Date(startMs + sizeMs).toISOString(),
    revision,
    ...statsOf(values, bounds),
  };
  return { id: envelopeId(tenantId, data), type: 'aggregate.window.closed', version: 1, occurredAt: data.windowEnd, tenantId, data };
}

/** A tenant's calls to the store, as the gateway forwards them. */
function tenantApi(app, tenantId, role = 'admin') {
  const headers = internalHeaders({ tenantId, role });
  const get = (url) => call(app, { url, headers });
  return {
    headers,
    get,
    series: (rollupId, query) => get(`/v1/rollups/${rollupId}/series?${new URLSearchParams(query)}`),
    archive: (rollupId, seriesKey = '') => get(`/v1/rollups/${rollupId}/archive?${new URLSearchParams({ seriesKey })}`),
    createExport: (body) => call(app, { method: 'POST', url: '/v1/exports', headers, payload: body }),
    listExports: () => get('/v1/exports'),
    download: (file) => get(`/v1/exports/${file}`),
    retention: () => get('/v1/retention'),
    setRetention: (days) => call(app, { method: 'PUT', url: '/v1/retention', headers, payload: { days } }),
  };
}

module.exports = { statsOf, windowEvent, envelopeId, tenantApi, MINUTE };
