'use strict';

// Applies a mapping config (already merged onto the defaults, see mappingConfig.js) to the data of
// one ingestion.record and returns the record transform publishes, without mappingVersion and
// enrichment (the processor adds those). Pure: time comes in as `now`.

const { deepMerge } = require('./merge');
const { transformError } = require('./errors');

function split(path) {
  const dot = path.indexOf('.');
  return [path.slice(0, dot), path.slice(dot + 1)];
}

function read(record, path) {
  const [section, key] = split(path);
  return Object.hasOwn(record[section], key) ? record[section][key] : undefined;
}

function write(record, path, value) {
  const [section, key] = split(path);
  record[section][key] = value;
}

function remove(record, path) {
  const [section, key] = split(path);
  delete record[section][key];
}

/**
 * @param {object} data ingestion.record data
 * @param {object} config effective mapping config
 * @param {{ now: number }} options the clock's time in ms
 */
function applyMapping(data, config, { now }) {
  const record = {
    ...data,
    ts: new Date(now).toISOString(),
    properties: { ...data.properties },
    dimensions: { ...data.dimensions },
  };
  for (const [from, to] of Object.entries(config.rename)) {
    const value = read(record, from);
    if (value === undefined) continue;
    remove(record, from);
    write(record, to, value);
  }
  for (const [from, to] of Object.entries(config.copy)) {
    const value = read(record, from);
    if (value !== undefined) write(record, to, value);
  }
  for (const [path, value] of Object.entries(config.defaults)) {
    if (read(record, path) === undefined) write(record, path, value);
  }
  if (config.options.nameCase === 'lower') record.name = record.name.toLowerCase();
  if (config.options.nameCase === 'upper') record.name = record.name.toUpperCase();
  if (config.options.dropNulls) {
    for (const section of ['properties', 'dimensions']) {
      for (const [key, value] of Object.entries(record[section])) if (value === null) delete record[section][key];
    }
  }
  return record;
}

const PATCH_KEYS = new Set(['name', 'properties', 'dimensions']);

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Merges what a UDF returned onto the record: `{ name?, properties?, dimensions? }`, or null for
 * no change. Anything else is the UDF's failure (TRANSFORM_UDF_FAILED).
 */
function applyPatch(record, patch, udfName) {
  if (patch === null) return record;
  const refuse = (why) => transformError('TRANSFORM_UDF_FAILED', `UDF ${udfName} returned ${why}`, { udf: udfName });
  if (!isPlainObject(patch)) throw refuse('something other than an object or null');
  for (const key of Object.keys(patch)) if (!PATCH_KEYS.has(key)) throw refuse(`an unknown key "${key}"`);
  if (patch.name !== undefined && (typeof patch.name !== 'string' || patch.name.length < 1 || patch.name.length > 128)) {
    throw refuse('a name that is not a string of 1 to 128 characters');
  }
  for (const section of ['properties', 'dimensions']) {
    if (patch[section] !== undefined && !isPlainObject(patch[section])) throw refuse(`${section} that is not an object`);
  }
  return deepMerge(record, patch);
}

module.exports = { applyMapping, applyPatch };
