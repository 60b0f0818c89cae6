'use strict';

const { service: { errorResponses: errs } } = require('../../../../shared');

// JSON schemas of the store's routes; the OpenAPI document is generated from them.

const rollupId = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' };
const instant = { type: 'string', format: 'date-time' };
const resolution = { type: 'string', enum: ['1m', '1h', '1d'], default: '1m' };
const histogram = {
  type: ['object', 'null'],
  properties: { bounds: { type: 'array', items: { type: 'number' } }, counts: { type: 'array', items: { type: 'integer' } } },
};
const nullableNumber = { type: ['number', 'null'] };
const point = {
  type: 'object',
  properties: {
    windowKind: { type: 'string' },
    windowStart: { type: 'string' },
    windowEnd: { type: 'string' },
    revision: { type: 'integer' },
    count: { type: 'integer' },
    sum: { type: 'number' },
    min: nullableNumber,
    max: nullableNumber,
    mean: nullableNumber,
    variance: nullableNumber,
    histogram,
  },
  required: ['windowStart', 'windowEnd', 'revision', 'count', 'sum'],
};
const rangeQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: { from: instant, to: instant, resolution, seriesKey: { type: 'string', maxLength: 1024 } },
};
const retention = {
  type: 'object',
  properties: {
    days: { type: 'integer' },
    seconds: { type: 'integer' },
    source: { type: 'string', enum: ['tenant', 'default'] },
    deletesBefore: { type: 'string', description: 'windows that started before this instant are deleted by the next retention run' },
  },
  required: ['days', 'seconds', 'source', 'deletesBefore'],
};
const exportItem = { type: 'object', properties: { file: { type: 'string' }, size: { type: 'integer' } }, required: ['file', 'size'] };

module.exports = {
  series: {
    summary: 'A rollup\'s stored windows in [from, to) at one resolution, by series',
    params: { type: 'object', properties: { rollupId }, required: ['rollupId'] },
    querystring: rangeQuery,
    response: {
      200: {
        type: 'object',
        properties: {
          rollupId: { type: 'string' },
          resolution: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          series: { type: 'array', items: { type: 'object', properties: { seriesKey: { type: 'string' }, points: { type: 'array', items: point } }, required: ['seriesKey', 'points'] } },
        },
        required: ['rollupId', 'resolution', 'from', 'to', 'series'],
      },
      ...errs(400, 401, 413),
    },
  },
  archive: {
    summary: 'Every window of one series as archived in the object store',
    params: { type: 'object', properties: { rollupId }, required: ['rollupId'] },
    querystring: { type: 'object', additionalProperties: false, properties: { seriesKey: { type: 'string', maxLength: 1024, default: '' } } },
    response: { 200: { type: 'object', properties: { seriesKey: { type: 'string' }, points: { type: 'array', items: point } }, required: ['seriesKey', 'points'] }, ...errs(400, 401) },
  },
  createExport: {
    summary: 'Writes a CSV export of a rollup\'s range',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['rollupId', 'from', 'to'],
      properties: { rollupId, from: instant, to: instant, resolution, seriesKey: { type: 'string', maxLength: 1024 } },
    },
    response: { 201: { type: 'object', properties: { file: { type: 'string' }, rows: { type: 'integer' }, size: { type: 'integer' } }, required: ['file', 'rows', 'size'] }, ...errs(400, 401, 403, 413) },
  },
  listExports: { summary: 'The tenant\'s exports', response: { 200: { type: 'object', properties: { items: { type: 'array', items: exportItem } }, required: ['items'] }, ...errs(401, 403) } },
  downloadExport: {
    summary: 'Downloads one of the tenant\'s exports (text/csv)',
    params: { type: 'object', properties: { file: { type: 'string', minLength: 1, maxLength: 255 } }, required: ['file'] },
    response: { ...errs(400, 401, 403, 404) },
  },
  getRetention: { summary: 'The tenant\'s retention', response: { 200: retention, ...errs(401) } },
  setRetention: {
    summary: 'Sets the tenant\'s retention in days',
    body: { type: 'object', additionalProperties: false, required: ['days'], properties: { days: { type: 'integer', minimum: 1, maximum: 3650 } } },
    response: { 200: retention, ...errs(400, 401, 403) },
  },
};
