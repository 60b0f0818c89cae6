'use strict';

// aggregate.window.closed: one event per emitted revision of a window. Its id is derived from
// what it describes, so the same revision of the same window is recognisably the same event
// however often it is published (after a crash, by two instances).

const crypto = require('node:crypto');
const { events: { createEnvelope } } = require('../../../shared');
const { resultOf } = require('./functions/accumulator');

const EMITTED_TYPE = 'aggregate.window.closed';

/** `agg-` + the first 40 hex digits of sha256(tenantId|rollupId|seriesKey|windowStart|windowEnd|revision). */
function windowEventId({ tenantId, rollupId, seriesKey, windowStart, windowEnd, revision }) {
  const text = [tenantId, rollupId, seriesKey, windowStart, windowEnd, String(revision)].join('|');
  return `agg-${crypto.createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}

/** The envelope of revision `revision` of a window read from the state (redisState.read). */
function windowEnvelope(state, revision, clock) {
  const { window, def, acc } = state;
  const windowStart = new Date(window.start).toISOString();
  const windowEnd = new Date(window.end).toISOString();
  const data = {
    rollupId: window.rollupId,
    seriesKey: window.seriesKey,
    windowKind: window.kind,
    windowStart,
    windowEnd,
    revision,
    ...resultOf(acc, def),
  };
  const id = windowEventId({ tenantId: window.tenantId, rollupId: window.rollupId, seriesKey: window.seriesKey, windowStart, windowEnd, revision });
  return createEnvelope({ id, type: EMITTED_TYPE, tenantId: window.tenantId, data }, { clock });
}

module.exports = { windowEnvelope, windowEventId, EMITTED_TYPE };
