'use strict';

const { tumblingWindow } = require('./tumbling');
const { hoppingWindows } = require('./hopping');

/**
 * The fixed windows (tumbling or hopping) of a rollup an event at `ts` belongs to. Session
 * windows depend on the sessions already open, so the state assigns those (session.js).
 */
function fixedWindows(window, ts) {
  if (window.kind === 'tumbling') return [tumblingWindow(ts, window.sizeMs)];
  if (window.kind === 'hopping') return hoppingWindows(ts, window.sizeMs, window.advanceMs);
  throw new TypeError(`window kind ${window.kind} has no fixed windows`);
}

module.exports = { fixedWindows };
