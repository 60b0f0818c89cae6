'use strict';

const crypto = require('node:crypto');

// Redis keys of aggregate's state. Every key also carries REDIS_PREFIX (the client adds it).
//   agg:in:<p>       stream partition p of routed records (consumer group `aggregate`)
//   agg:dedup:<id>   a routed event id already appended (expires after AGGREGATE_DEDUP_TTL_MS)
//   agg:w:<wid>      hash: a window's identity, accumulator, last emitted revision
//   agg:seen:<wid>   set: ids of the events already counted in the window
//   agg:open         zset wid → window end: windows with something not yet emitted
//   agg:gc           zset wid → end + allowed lateness: every live window
//   agg:sess:<sid>   zset "start:end" → start: the session windows of one series
//   agg:lock:<sid>   lock of one series' sessions while they are merged
//   agg:outbox       hash envelope id → aggregate.window.closed waiting for the broker's confirm

const OPEN = 'agg:open';
const GC = 'agg:gc';
const OUTBOX = 'agg:outbox';

function digest(parts) {
  return crypto.createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/** Id of a window: one per (tenant, rollup, series, start, end). */
function windowId({ tenantId, rollupId, seriesKey, start, end }) {
  return digest([tenantId, rollupId, seriesKey, String(start), String(end)]);
}

/** Id of a series' session list. */
function seriesId({ tenantId, rollupId, seriesKey }) {
  return digest([tenantId, rollupId, seriesKey]);
}

const windowKey = (wid) => `agg:w:${wid}`;
const seenKey = (wid) => `agg:seen:${wid}`;
const sessionsKey = (sid) => `agg:sess:${sid}`;
const lockKey = (sid) => `agg:lock:${sid}`;
const streamKey = (partition) => `agg:in:${partition}`;
const dedupKey = (eventId) => `agg:dedup:${eventId}`;

module.exports = { OPEN, GC, OUTBOX, windowId, seriesId, windowKey, seenKey, sessionsKey, lockKey, streamKey, dedupKey };
