'use strict';

// Event contracts: the envelope schema, one data schema per event type and version
// (schemas/<type>.v<version>.json) and one example envelope per event type
// (events/<type>.v<version>.json), either at the top of this directory or in a producing
// service's folder (`admin/schemas/`, `admin/events/`). Producers validate what they send; contract tests check that
// every example validates and that what a producer really emits has the example's shape, so a
// renamed field fails a test instead of a consumer in production.

const fs = require('node:fs');
const path = require('node:path');
const { defineErrors, createError } = require('../utils/errors');
const { validate, checkSupported, typeOf } = require('./validator');

const CONTRACT_ERRORS = defineErrors({
  DN_CONTRACT_INVALID: { statusCode: 400, message: 'value does not match its contract' },
  DN_CONTRACT_NOT_FOUND: { statusCode: 404, message: 'no such contract fixture' },
});

const FILE_NAME = /^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)\.v([1-9][0-9]*)\.json$/;

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`contract file ${file} is not valid JSON: ${err.message}`, { cause: err });
  }
}

/**
 * Lists `<type>.v<version>.json` files of a directory, sorted, as `{ name, type, version, file }`.
 * In a strict directory (the shared top-level ones) any other JSON file is an error; a service's
 * folder may keep other schemas (HTTP bodies) next to its event contracts.
 */
function listVersionedFiles(dir, { strict }) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const f of fs.readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    const m = FILE_NAME.exec(f);
    if (!m) {
      if (strict) throw new Error(`contract file ${path.join(dir, f)} must be named <type>.v<version>.json`);
      continue;
    }
    out.push({ name: f.slice(0, -'.json'.length), type: m[1], version: Number(m[2]), file: path.join(dir, f) });
  }
  return out;
}

/**
 * A registry over one contracts directory. Files are read once, on first use.
 * @param {string} [dir] default: this directory
 */
function createContractRegistry(dir = __dirname) {
  let cache = null;

  // `<dir>/<kind>` and `<dir>/<service>/<kind>`; a name defined twice is an error, since
  // which of the two files would win is not something a reader could tell.
  function collect(kind) {
    const entries = listVersionedFiles(path.join(dir, kind), { strict: true });
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory() && d.name !== 'events' && d.name !== 'schemas') {
        entries.push(...listVersionedFiles(path.join(dir, d.name, kind), { strict: false }));
      }
    }
    const byName = new Map();
    for (const entry of entries) {
      const other = byName.get(entry.name);
      if (other) throw new Error(`contract ${entry.name} is defined twice: ${other.file} and ${entry.file}`);
      byName.set(entry.name, entry);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  function load() {
    if (cache) return cache;
    const envelopeSchema = readJson(path.join(dir, 'event-envelope.v1.json'));
    checkSupported(envelopeSchema);
    const dataSchemas = new Map();
    for (const entry of collect('schemas')) {
      const schema = readJson(entry.file);
      checkSupported(schema, entry.file);
      dataSchemas.set(entry.name, schema);
    }
    const fixtures = collect('events').map((entry) => ({
      name: entry.name,
      type: entry.type,
      version: entry.version,
      file: entry.file,
      envelope: readJson(entry.file),
    }));
    cache = { envelopeSchema, dataSchemas, fixtures };
    return cache;
  }

  /** Names (`<type>.v<version>`) of every data schema. */
  function listDataSchemas() {
    return [...load().dataSchemas.keys()];
  }

  function dataSchema(type, version) {
    return load().dataSchemas.get(`${type}.v${version}`);
  }

  /**
   * Checks an envelope against the envelope schema and, when one exists, its type's data schema.
   * @returns {{ valid: boolean, errors: Array<{ path: string, message: string }> }}
   */
  function validateEnvelope(envelope) {
    const errors = validate(load().envelopeSchema, envelope);
    if (errors.length === 0) {
      const schema = dataSchema(envelope.type, envelope.version);
      if (schema) errors.push(...validate(schema, envelope.data, '/data'));
    }
    return { valid: errors.length === 0, errors };
  }

  function assertValidEnvelope(envelope) {
    const { valid, errors } = validateEnvelope(envelope);
    if (!valid) {
      const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      throw createError(CONTRACT_ERRORS.DN_CONTRACT_INVALID, `event envelope is invalid: ${summary}`, { details: { errors } });
    }
    return envelope;
  }

  function listFixtures() {
    return load().fixtures.map((f) => ({ ...f, envelope: structuredClone(f.envelope) }));
  }

  /** The example envelope `<type>.v<version>` (e.g. `ingestion.accepted.v1`), as a fresh copy. */
  function loadFixture(name) {
    const found = load().fixtures.find((f) => f.name === name);
    if (!found) {
      const known = load().fixtures.map((f) => f.name).join(', ');
      throw createError(CONTRACT_ERRORS.DN_CONTRACT_NOT_FOUND, `no contract fixture "${name}"; known: ${known}`, { details: { name } });
    }
    return structuredClone(found.envelope);
  }

  return { validateEnvelope, assertValidEnvelope, dataSchema, listDataSchemas, listFixtures, loadFixture, load };
}

/**
 * The shape of a JSON value: property names and value kinds, not the values themselves.
 * Integers and other numbers are both `number` (an example's `3` and a producer's `3.5` agree).
 */
function shapeOf(value) {
  const kind = typeOf(value);
  if (kind === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = shapeOf(value[key]);
    return out;
  }
  if (kind === 'array') return value.length ? [shapeOf(value[0])] : [];
  return kind === 'integer' ? 'number' : kind;
}

/** Lists where two values differ in shape, as `path: expected X, got Y`; empty when they agree. */
function shapeDifferences(expected, actual, at = '') {
  const a = typeOf(expected);
  const b = typeOf(actual);
  const norm = (k) => (k === 'integer' ? 'number' : k);
  if (norm(a) !== norm(b)) return [`${at || '/'}: expected ${norm(a)}, got ${norm(b)}`];
  if (a === 'object') {
    const out = [];
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of [...keys].sort()) {
      if (!Object.hasOwn(actual, key)) out.push(`${at}/${key}: missing`);
      else if (!Object.hasOwn(expected, key)) out.push(`${at}/${key}: not in the fixture`);
      else out.push(...shapeDifferences(expected[key], actual[key], `${at}/${key}`));
    }
    return out;
  }
  if (a === 'array' && expected.length && actual.length) return shapeDifferences(expected[0], actual[0], `${at}/0`);
  return [];
}

const defaultRegistry = createContractRegistry();

module.exports = {
  CONTRACT_ERRORS,
  createContractRegistry,
  validateEnvelope: defaultRegistry.validateEnvelope,
  assertValidEnvelope: defaultRegistry.assertValidEnvelope,
  dataSchema: defaultRegistry.dataSchema,
  listDataSchemas: defaultRegistry.listDataSchemas,
  listFixtures: defaultRegistry.listFixtures,
  loadFixture: defaultRegistry.loadFixture,
  validate,
  shapeOf,
  shapeDifferences,
};
