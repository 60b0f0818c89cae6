'use strict';

const { service: { errorResponses: errs } } = require('../../../../shared');

// JSON schemas of aggregate's routes; the OpenAPI document is generated from them. Rules that
// relate fields to each other (advanceMs <= sizeMs, increasing bounds, reserved names) are
// checked by rollups/definitions.js (AGGREGATE_ROLLUP_INVALID says why).

const rollupId = { type: 'string', minLength: 1, maxLength: 64 };
const name = { type: 'string', minLength: 1, maxLength: 64 };
const windowSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: ['tumbling', 'hopping', 'session'] },
    sizeMs: { type: 'integer' },
    advanceMs: { type: 'integer' },
    gapMs: { type: 'integer' },
    allowedLatenessMs: { type: 'integer' },
  },
};
const rollup = {
  type: 'object',
  properties: {
    rollupId: { type: 'string' },
    topic: { type: 'string' },
    eventName: { type: 'string' },
    field: { type: 'string' },
    groupBy: { type: 'array', items: { type: 'string' } },
    window: {
      type: 'object',
      properties: {
        kind: { type: 'string' },
        sizeMs: { type: 'integer' },
        advanceMs: { type: 'integer' },
        gapMs: { type: 'integer' },
        allowedLatenessMs: { type: 'integer' },
      },
    },
    functions: { type: 'array', items: { type: 'string' } },
    histogram: { type: ['object', 'null'], properties: { bounds: { type: 'array', items: { type: 'number' } } } },
    createdAt: { type: 'string' },
  },
  required: ['rollupId', 'topic', 'eventName', 'field', 'groupBy', 'window', 'functions', 'createdAt'],
};
const byId = { type: 'object', properties: { rollupId }, required: ['rollupId'] };

module.exports = {
  createRollup: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['rollupId', 'field', 'window'],
      properties: {
        rollupId,
        topic: name,
        eventName: { type: 'string', minLength: 1, maxLength: 128 },
        field: { type: 'string', minLength: 1, maxLength: 80 },
        groupBy: { type: 'array', maxItems: 8, items: name },
        window: windowSpec,
        functions: { type: 'array', maxItems: 7, items: { type: 'string', maxLength: 16 } },
        histogram: {
          type: 'object',
          additionalProperties: false,
          required: ['bounds'],
          properties: { bounds: { type: 'array', maxItems: 64, items: { type: 'number' } } },
        },
      },
    },
    response: { 201: rollup, ...errs(400, 401, 403, 409) },
  },
  listRollups: { response: { 200: { type: 'object', properties: { items: { type: 'array', items: rollup } }, required: ['items'] }, ...errs(401) } },
  getRollup: { params: byId, response: { 200: rollup, ...errs(401, 404) } },
  deleteRollup: { params: byId, response: { 204: { type: 'null' }, ...errs(401, 403, 404) } },
};
