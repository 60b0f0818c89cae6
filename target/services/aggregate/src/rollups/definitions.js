'use strict';

// Rollup definitions: what a tenant aggregates, and how a routed record is read for it. The HTTP
// schema (routes/schemas.js) checks shapes; the rules that relate fields to each other are here.

const { aggregateError } = require('../errors');

const ROLLUP_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
// Dimension and property names: identifiers, never the names of Object.prototype's members.
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf']);
const FUNCTIONS = Object.freeze(['count', 'sum', 'min', 'max', 'mean', 'variance', 'histogram']);
const LIMITS = Object.freeze({ groupBy: 8, bounds: 64, windowsPerEvent: 60, maxSizeMs: 7 * 86_400_000, maxLatenessMs: 86_400_000 });

function invalid(message, details) {
  return aggregateError('AGGREGATE_ROLLUP_INVALID', message, details);
}

function checkName(name, what) {
  if (typeof name !== 'string' || !NAME.test(name) || RESERVED.has(name)) throw invalid(`${what} ${JSON.stringify(name)} is not a valid name`, { [what]: name });
}

function checkWindow(window) {
  const { kind, sizeMs, advanceMs, gapMs, allowedLatenessMs = 0 } = window;
  if (kind === 'session') {
    if (!Number.isInteger(gapMs) || gapMs < 1 || gapMs > LIMITS.maxSizeMs) throw invalid('a session window needs gapMs', { gapMs });
  } else {
    if (!Number.isInteger(sizeMs) || sizeMs < 1 || sizeMs > LIMITS.maxSizeMs) throw invalid('window.sizeMs is out of range', { sizeMs });
    if (kind === 'hopping') {
      if (!Number.isInteger(advanceMs) || advanceMs < 1 || advanceMs > sizeMs) throw invalid('window.advanceMs must be between 1 and sizeMs', { advanceMs });
      if (Math.ceil(sizeMs / advanceMs) > LIMITS.windowsPerEvent) throw invalid(`a hopping window may overlap at most ${LIMITS.windowsPerEvent} others`, { sizeMs, advanceMs });
    }
  }
  if (!Number.isInteger(allowedLatenessMs) || allowedLatenessMs < 0 || allowedLatenessMs > LIMITS.maxLatenessMs) {
    throw invalid('window.allowedLatenessMs is out of range', { allowedLatenessMs });
  }
}

function checkBounds(bounds) {
  if (!Array.isArray(bounds) || bounds.length === 0 || bounds.length > LIMITS.bounds) throw invalid(`histogram.bounds needs 1 to ${LIMITS.bounds} numbers`);
  for (let i = 0; i < bounds.length; i += 1) {
    if (!Number.isFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) throw invalid('histogram.bounds must be finite and strictly increasing', { bounds });
  }
}

/** A normalised definition from a request body (after the HTTP schema); throws AGGREGATE_ROLLUP_INVALID. */
function normalizeDefinition(body) {
  if (!ROLLUP_ID.test(body.rollupId)) throw invalid('rollupId is not valid', { rollupId: body.rollupId });
  const field = body.field;
  if (field !== 'count') {
    if (typeof field !== 'string' || !field.startsWith('properties.')) throw invalid("field must be 'count' or 'properties.<name>'", { field });
    checkName(field.slice('properties.'.length), 'field');
  }
  const groupBy = body.groupBy || [];
  if (groupBy.length > LIMITS.groupBy) throw invalid(`groupBy names at most ${LIMITS.groupBy} dimensions`);
  for (const name of groupBy) checkName(name, 'groupBy');
  if (new Set(groupBy).size !== groupBy.length) throw invalid('groupBy names a dimension twice', { groupBy });
  checkWindow(body.window);
  const functions = [...new Set(body.functions && body.functions.length ? body.functions : ['count', 'sum'])];
  for (const f of functions) if (!FUNCTIONS.includes(f)) throw invalid(`unknown function ${JSON.stringify(f)}`, { function: f });
  const bounds = body.histogram ? body.histogram.bounds : null;
  if (functions.includes('histogram')) checkBounds(bounds);
  else if (bounds) throw invalid("histogram.bounds given without the 'histogram' function");
  const w = body.window;
  return {
    rollupId: body.rollupId,
    topic: body.topic || '*',
    eventName: body.eventName || '*',
    field,
    groupBy: [...groupBy].sort(),
    window: {
      kind: w.kind,
      sizeMs: w.kind === 'session' ? null : w.sizeMs,
      advanceMs: w.kind === 'hopping' ? w.advanceMs : null,
      gapMs: w.kind === 'session' ? w.gapMs : null,
      allowedLatenessMs: w.allowedLatenessMs || 0,
    },
    functions,
    bounds: bounds ? bounds.slice() : [],
  };
}

/** True when a routed record (topic, record name) feeds the rollup. */
function matches(def, topic, record) {
  return (def.topic === '*' || def.topic === topic) && (def.eventName === '*' || def.eventName === record.name);
}

function own(obj, key) {
  return obj !== null && typeof obj === 'object' && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** The number a record contributes to the rollup, or undefined when it has none. */
function valueOf(def, record) {
  if (def.field === 'count') return 1;
  const v = own(record.properties, def.field.slice('properties.'.length));
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `"country=DE,plan=pro"`: the record's values of the rollup's groupBy dimensions, by name. */
function seriesKeyOf(def, record) {
  return def.groupBy
    .map((name) => {
      const v = own(record.dimensions, name);
      return `${name}=${v === undefined || v === null ? '' : String(v)}`;
    })
    .join(',');
}

module.exports = { normalizeDefinition, matches, valueOf, seriesKeyOf, FUNCTIONS, LIMITS, ROLLUP_ID };
