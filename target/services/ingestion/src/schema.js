'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv');
const { ingestionError } = require('./errors');

// The HTTP contract of POST /v1/events: one JSON schema per event schema version
// (shared/contracts/ingestion/http/event.v<n>.json), chosen by the x-schema-version header
// (absent = 1). Fields a version does not define are dropped, defaults are filled in.
const SCHEMA_DIR = path.join(__dirname, '..', '..', '..', 'shared', 'contracts', 'ingestion', 'http');
const load = (name) => JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, name), 'utf8'));

const ajv = new Ajv({ allErrors: true, removeAdditional: true, useDefaults: true, strict: false });
const validateV1 = ajv.compile(load('event.v1.json'));
const validateV2 = ajv.compile(load('event.v2.json'));
const SUPPORTED_VERSIONS = Object.freeze([1, 2]);

/** The version a request asks for; INGEST_UNSUPPORTED_VERSION for anything but 1 or 2. */
function requestedVersion(headers) {
  const header = headers['x-schema-version'];
  if (header === undefined) return 1;
  if (!/^[0-9]{1,4}$/.test(header) || !SUPPORTED_VERSIONS.includes(Number(header))) {
    throw ingestionError('INGEST_UNSUPPORTED_VERSION', `x-schema-version ${JSON.stringify(header)} is not supported; supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  return header;
}

function describe(errors, index) {
  return errors.map((e) => `events[${index}]${e.instancePath || ''} ${e.message}`).join('; ');
}

/**
 * The events of a request body (one event, or `{ events: [...] }`), each validated against the
 * schema of the requested version. Throws INGEST_INVALID_REQUEST for a body of the wrong shape and
 * INGEST_INVALID_EVENT naming the first invalid event.
 */
function validateEvents(body, headers, { maxEvents }) {
  const version = requestedVersion(headers);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw ingestionError('INGEST_INVALID_REQUEST', 'body must be one event or { "events": [...] }');
  }
  const events = Object.hasOwn(body, 'events') ? body.events : [body];
  if (!Array.isArray(events) || events.length === 0) throw ingestionError('INGEST_INVALID_REQUEST', 'events must be a non-empty array');
  if (events.length > maxEvents) throw ingestionError('INGEST_PAYLOAD_TOO_LARGE', `at most ${maxEvents} events per request, got ${events.length}`);
  const validate = version === 2 ? validateV2 : validateV1;
  events.forEach((event, index) => {
    if (!validate(event)) throw ingestionError('INGEST_INVALID_EVENT', describe(validate.errors, index));
  });
  return { version, events };
}

module.exports = { validateEvents, requestedVersion, SCHEMA_DIR, SUPPORTED_VERSIONS };
