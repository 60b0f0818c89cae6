'use strict';

// The archive's object layout: `archive/<series digest>/<segment>.json`, each segment a JSON
// document `{ tenantId, rollupId, seriesKey, points: [...] }`.

const crypto = require('node:crypto');

const ROOT = 'archive';

/** The series' prefix: a digest, since tenant ids and series keys are not object-key safe. */
function seriesPrefix(tenantId, rollupId, seriesKey) {
  const digest = crypto.createHash('sha256').update(`${tenantId}\n${rollupId}\n${seriesKey}`).digest('hex').slice(0, 32);
  return `${ROOT}/${digest}/`;
}

function encodeSegment(series, points) {
  return Buffer.from(JSON.stringify({ tenantId: series.tenantId, rollupId: series.rollupId, seriesKey: series.seriesKey, points }), 'utf8');
}

function decodeSegment(body) {
  return JSON.parse(body.toString('utf8'));
}

module.exports = { ROOT, seriesPrefix, encodeSegment, decodeSegment };
