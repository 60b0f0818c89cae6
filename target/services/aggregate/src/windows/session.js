'use strict';

// Session windows: an event at ts opens [ts, ts + gap); sessions whose spans overlap are one
// session. A new event can extend a session, or bridge two (or more) sessions into one.

function overlaps(a, b) {
  return a.start < b.end && b.start < a.end;
}

/**
 * Where an event at `ts` lands among the existing sessions of its series.
 * @param {Array<{ start: number, end: number }>} sessions existing sessions, any order
 * @returns {{ window: { start, end }, absorbed: Array<{ start, end }> }} the session the event is
 *   in after it, and the existing sessions that became part of it (including one it just extends)
 */
function placeInSession(sessions, ts, gapMs) {
  const own = { start: ts, end: ts + gapMs };
  const absorbed = sessions.filter((s) => overlaps(s, own)).sort((a, b) => a.start - b.start);
  const window = { ...own };
  for (const s of absorbed) {
    window.start = Math.min(window.start, s.start);
    window.end = Math.max(window.end, s.end);
  }
  return { window, absorbed };
}

module.exports = { placeInSession, overlaps };
