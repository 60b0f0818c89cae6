'use strict';

// A tenant's mapping config, as stored, is merged onto DEFAULT_MAPPING before use, so a config
// only states what it changes.
//
//   rename   { "<from path>": "<to path>" }  moves a value (the source field is removed)
//   copy     { "<from path>": "<to path>" }  copies a value
//   defaults { "<path>": value }             sets a field the event does not carry
//   udf      "<name>" | null                 the tenant's UDF (latest version) run on the record
//   enrich   ["planTier", ...]               enrichment fields attached as `enrichment`
//   options  { nameCase: keep|lower|upper, dropNulls: boolean }
//
// A path is `properties.<key>` or `dimensions.<key>`.

const { deepMerge } = require('./merge');

const KEY = '[A-Za-z][A-Za-z0-9_-]{0,63}';
const PATH_PATTERN = `^(properties|dimensions)\\.${KEY}$`;
const FIELD_PATTERN = `^${KEY}$`;
const UDF_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,63}$';
const MAPPING_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

const DEFAULT_MAPPING = deepFreeze({
  rename: {},
  copy: {},
  defaults: {},
  udf: null,
  enrich: [],
  options: { nameCase: 'keep', dropNulls: false },
});

const PATH = { type: 'string', pattern: PATH_PATTERN };
const PATH_MAP = { type: 'object', maxProperties: 64, propertyNames: PATH, additionalProperties: PATH };

/** JSON schema of a mapping config as a tenant sends it (every key optional). */
const MAPPING_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rename: PATH_MAP,
    copy: PATH_MAP,
    defaults: {
      type: 'object',
      maxProperties: 64,
      propertyNames: PATH,
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 1024 },
    },
    udf: { anyOf: [{ type: 'null' }, { type: 'string', pattern: UDF_NAME_PATTERN }] },
    enrich: { type: 'array', maxItems: 16, uniqueItems: true, items: { type: 'string', pattern: FIELD_PATTERN } },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        nameCase: { enum: ['keep', 'lower', 'upper'] },
        dropNulls: { type: 'boolean' },
      },
    },
  },
};

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The config in effect: a fresh object, defaults first, the tenant's config over them. */
function effectiveConfig(tenantConfig) {
  return deepMerge(deepMerge({}, DEFAULT_MAPPING), tenantConfig || {});
}

module.exports = {
  DEFAULT_MAPPING,
  MAPPING_CONFIG_SCHEMA,
  PATH_PATTERN,
  FIELD_PATTERN,
  UDF_NAME_PATTERN,
  MAPPING_NAME_PATTERN,
  effectiveConfig,
};
