'use strict';

const { service: { errorResponses } } = require('../../../../shared');
const { MAPPING_CONFIG_SCHEMA, MAPPING_NAME_PATTERN, UDF_NAME_PATTERN, FIELD_PATTERN } = require('../mappingConfig');
const { INGESTION_SCHEMA } = require('../processor');

// The contract file as a request body schema (fastify validates with draft-07 keywords).
const { $schema, $id, ...ingestionRecord } = INGESTION_SCHEMA;

const MAX_UDF_SOURCE = 16 * 1024;

const mappingParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: MAPPING_NAME_PATTERN } } };
const udfParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: UDF_NAME_PATTERN } } };
const versionQuery = { type: 'object', additionalProperties: false, properties: { version: { type: 'integer', minimum: 1 } } };

const mappingBody = {
  type: 'object',
  required: ['name', 'version', 'config', 'createdAt'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer' },
    config: { type: 'object', additionalProperties: true },
    effective: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
  },
};
const udfBody = {
  type: 'object',
  required: ['name', 'version', 'source', 'createdAt'],
  properties: { name: { type: 'string' }, version: { type: 'integer' }, source: { type: 'string' }, createdAt: { type: 'string' } },
};

// The record a preview answers: transform.record data (free-form sections).
const recordBody = { type: 'object', additionalProperties: true };

module.exports = {
  MAX_UDF_SOURCE,
  putMapping: {
    summary: 'Store a new version of a mapping config',
    params: mappingParams,
    body: MAPPING_CONFIG_SCHEMA,
    response: { 201: mappingBody, ...errorResponses(400, 401, 403, 503) },
  },
  getMapping: {
    summary: 'The latest (or a given) version of a mapping config',
    params: mappingParams,
    querystring: versionQuery,
    response: { 200: mappingBody, ...errorResponses(400, 401, 404, 503) },
  },
  previewMapping: {
    summary: 'Transform one ingestion.record with the latest mapping, without publishing',
    params: mappingParams,
    body: ingestionRecord,
    response: { 200: recordBody, ...errorResponses(400, 401, 404, 422, 503) },
  },
  putUdf: {
    summary: 'Store a new version of a UDF',
    params: udfParams,
    body: { type: 'object', required: ['source'], additionalProperties: false, properties: { source: { type: 'string', minLength: 1, maxLength: MAX_UDF_SOURCE } } },
    response: { 201: udfBody, ...errorResponses(400, 401, 403, 503) },
  },
  getUdf: {
    summary: 'The latest (or a given) version of a UDF',
    params: udfParams,
    querystring: versionQuery,
    response: { 200: udfBody, ...errorResponses(400, 401, 404, 503) },
  },
  putEnrichment: {
    summary: "Set one enrichment value of the caller's tenant",
    params: { type: 'object', required: ['field'], properties: { field: { type: 'string', pattern: FIELD_PATTERN } } },
    body: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { type: ['string', 'number', 'boolean'], maxLength: 1024 } } },
    response: { 200: { type: 'object', properties: { field: { type: 'string' }, value: {} } }, ...errorResponses(400, 401, 403, 503) },
  },
};
