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
  const sorted = sessions.slice().sort((a, b) => a.start - b.start);
  const first = sorted.find((s) => overlaps(s, own));
  if (!first) return { window: own, absorbed: [] };
  const window = { start: Math.min(first.start, own.start), end: Math.max(first.end, own.end) };
  return { window, absorbed: [first] };
}

module.exports = { placeInSession, overlaps };
