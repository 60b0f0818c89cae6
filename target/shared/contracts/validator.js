'use strict';

// A small JSON Schema validator for the subset the event contracts use. Hand-written so the shared
// library needs no schema dependency; a keyword it does not implement is rejected when the schema
// is compiled, never silently ignored (an ignored `minimum` would make a contract test meaningless).

const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'examples', 'default']);
const KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'required',
  'properties',
  'additionalProperties',
  'minProperties',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'items',
  'minItems',
  'maxItems',
]);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FORMATS = {
  'date-time': (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)),
  uuid: (v) => UUID.test(v),
};

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value, type) {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** Throws a TypeError naming the first keyword the validator does not implement. */
function checkSupported(schema, path = '#') {
  if (typeof schema === 'boolean') return;
  if (!schema || typeof schema !== 'object') throw new TypeError(`${path}: a schema must be an object or a boolean`);
  for (const key of Object.keys(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    if (!KEYWORDS.has(key)) throw new TypeError(`${path}: schema keyword "${key}" is not supported by the contract validator`);
  }
  if (schema.format !== undefined && !FORMATS[schema.format]) throw new TypeError(`${path}: format "${schema.format}" is not supported`);
  for (const [name, sub] of Object.entries(schema.properties || {})) checkSupported(sub, `${path}/properties/${name}`);
  if (schema.additionalProperties !== undefined) checkSupported(schema.additionalProperties, `${path}/additionalProperties`);
  if (schema.items !== undefined) checkSupported(schema.items, `${path}/items`);
}

/**
 * Validates `value` against `schema`. Returns a list of errors `{ path, message }`; empty means valid.
 * Paths are JSON Pointers into the value (`/data/recordCount`).
 */
function validate(schema, value, path = '') {
  const errors = [];
  visit(schema, value, path, errors);
  return errors;
}

function visit(schema, value, path, errors) {
  if (schema === true) return;
  if (schema === false) {
    errors.push({ path, message: 'no value is allowed here' });
    return;
  }
  const at = path || '/';
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      errors.push({ path: at, message: `expected ${types.join(' or ')}, got ${typeOf(value)}` });
      return;
    }
  }
  if (schema.const !== undefined && JSON.stringify(value) !== JSON.stringify(schema.const)) {
    errors.push({ path: at, message: `expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}` });
  }
  if (schema.enum !== undefined && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push({ path: at, message: `expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}` });
  }
  const kind = typeOf(value);
  if (kind === 'string') visitString(schema, value, at, errors);
  if (kind === 'number' || kind === 'integer') visitNumber(schema, value, at, errors);
  if (kind === 'array') visitArray(schema, value, path, errors);
  if (kind === 'object') visitObject(schema, value, path, errors);
}

function visitString(schema, value, at, errors) {
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    errors.push({ path: at, message: `expected at least ${schema.minLength} characters, got ${length}` });
  }
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    errors.push({ path: at, message: `expected at most ${schema.maxLength} characters, got ${length}` });
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    errors.push({ path: at, message: `expected to match ${schema.pattern}, got ${JSON.stringify(value)}` });
  }
  if (schema.format !== undefined && !FORMATS[schema.format](value)) {
    errors.push({ path: at, message: `expected a ${schema.format}, got ${JSON.stringify(value)}` });
  }
}

function visitNumber(schema, value, at, errors) {
  if (schema.minimum !== undefined && value < schema.minimum) {
    errors.push({ path: at, message: `expected >= ${schema.minimum}, got ${value}` });
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    errors.push({ path: at, message: `expected <= ${schema.maximum}, got ${value}` });
  }
}

function visitArray(schema, value, path, errors) {
  const at = path || '/';
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errors.push({ path: at, message: `expected at least ${schema.minItems} items, got ${value.length}` });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    errors.push({ path: at, message: `expected at most ${schema.maxItems} items, got ${value.length}` });
  }
  if (schema.items !== undefined) value.forEach((item, i) => visit(schema.items, item, `${path}/${i}`, errors));
}

function visitObject(schema, value, path, errors) {
  const at = path || '/';
  for (const name of schema.required || []) {
    if (!Object.hasOwn(value, name)) errors.push({ path: at, message: `missing required property "${name}"` });
  }
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    errors.push({ path: at, message: `expected at least ${schema.minProperties} properties, got ${keys.length}` });
  }
  const properties = schema.properties || {};
  for (const key of keys) {
    const child = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (Object.hasOwn(properties, key)) {
      visit(properties[key], value[key], child, errors);
    } else if (schema.additionalProperties === false) {
      errors.push({ path: child, message: `unexpected property "${key}"` });
    } else if (schema.additionalProperties !== undefined) {
      visit(schema.additionalProperties, value[key], child, errors);
    }
  }
}

module.exports = { validate, checkSupported, typeOf, FORMATS };
