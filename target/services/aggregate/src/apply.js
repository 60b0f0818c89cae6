'use strict';

// What one routed record does to a tenant's rollups: for every rollup it feeds, the windows it
// falls in (unless the watermark has left them behind for good) are updated.

const { matches, valueOf, seriesKeyOf } = require('./rollups/definitions');
const { fixedWindows } = require('./windows/assign');
const { isClosedForEvents, expiresAt } = require('./windows/manager');

/**
 * @param {object} deps
 * @param {object} deps.rollups rollups/store.js
 * @param {object} deps.state state/redisState.js
 * @param {object} deps.sessions state/sessions.js
 * @returns {(entry: { id, tenantId, topic, record }, watermark: number|null) => Promise<{ added, duplicate, late }>}
 */
function createApplier({ rollups, state, sessions }) {
  async function toRollup(def, entry, watermark, counts) {
    const value = valueOf(def, entry.record);
    if (value === undefined) return;
    const base = { tenantId: entry.tenantId, rollupId: def.rollupId, seriesKey: seriesKeyOf(def, entry.record), kind: def.window.kind };
    const lateness = def.window.allowedLatenessMs;
    if (def.window.kind === 'session') {
      const outcome = await sessions.add(base, def, entry.id, entry.record.ts, value, watermark);
      counts[outcome] += 1;
      return;
    }
    for (const w of fixedWindows(def.window, entry.record.ts)) {
      if (isClosedForEvents(w, watermark, lateness)) {
        counts.late += 1;
        continue;
      }
      const outcome = await state.add({ ...base, ...w, expiresAt: expiresAt(w, lateness) }, def, entry.id, value);
      counts[outcome === 'added' ? 'added' : 'duplicate'] += 1;
    }
  }

  return async function applyEntry(entry, watermark) {
    const counts = { added: 0, duplicate: 0, late: 0 };
    const defs = await rollups.forTenant(entry.tenantId);
    for (const def of defs) {
      if (matches(def, entry.topic, entry.record)) await toRollup(def, entry, watermark, counts);
    }
    return counts;
  };
}

module.exports = { createApplier };
