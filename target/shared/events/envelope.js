'use strict';

// Building and reading the JSON envelope every event travels in:
// `{ id, type, version, occurredAt, tenantId, data }` (contracts/event-envelope.v1.json).

const crypto = require('node:crypto');
const { systemClock } = require('../utils/clock');
const { validateEnvelope } = require('../contracts');
const { eventError } = require('./errors');

const ENVELOPE_KEYS = ['id', 'type', 'version', 'occurredAt', 'tenantId', 'data'];

function defaultId() {
  return crypto.randomUUID();
}

/**
 * @param {object} fields
 * @param {string} fields.type event type, also the routing key on dn.events (`ingestion.accepted`)
 * @param {string} fields.tenantId
 * @param {object} fields.data
 * @param {number} [fields.version] default 1
 * @param {string} [fields.id] producer-assigned id; consumers deduplicate on it
 * @param {string|number|Date} [fields.occurredAt] default: the clock's now
 * @param {string} [fields.correlationId]
 * @param {{ clock?: { now(): number }, idFactory?: () => string }} [deps]
 */
function createEnvelope(fields, { clock = systemClock, idFactory = defaultId } = {}) {
  const occurredAt = fields.occurredAt === undefined ? clock.now() : fields.occurredAt;
  const envelope = {
    id: fields.id === undefined ? idFactory() : fields.id,
    type: fields.type,
    version: fields.version === undefined ? 1 : fields.version,
    occurredAt: typeof occurredAt === 'string' ? occurredAt : new Date(occurredAt).toISOString(),
    tenantId: fields.tenantId,
    data: fields.data,
  };
  if (fields.correlationId !== undefined) envelope.correlationId = fields.correlationId;
  return assertEnvelope(envelope);
}

function assertEnvelope(envelope) {
  const { valid, errors } = validateEnvelope(envelope);
  if (!valid) {
    const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw eventError('DN_EVENTS_ENVELOPE_INVALID', `event envelope is invalid: ${summary}`, { details: { errors } });
  }
  return envelope;
}

function looksLikeEnvelope(value) {
  return value !== null && typeof value === 'object' && ENVELOPE_KEYS.every((k) => Object.hasOwn(value, k));
}

/** Parses a delivery body; throws DN_EVENTS_UNDECODABLE when it is not a JSON object. */
function decode(content) {
  let value;
  try {
    value = JSON.parse(Buffer.isBuffer(content) ? content.toString('utf8') : String(content));
  } catch (err) {
    throw eventError('DN_EVENTS_UNDECODABLE', `message body is not JSON: ${err.message}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw eventError('DN_EVENTS_UNDECODABLE', `message body must be a JSON object, got ${Array.isArray(value) ? 'array' : typeof value}`);
  }
  return value;
}

function encode(envelope) {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

module.exports = { createEnvelope, assertEnvelope, looksLikeEnvelope, decode, encode, ENVELOPE_KEYS };
