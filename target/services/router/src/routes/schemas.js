'use strict';

const { service: { errorResponses: errs } } = require('../../../../shared');

// JSON schemas of the router's routes; the OpenAPI document is generated from them. Binding
// patterns are checked by match.js (ROUTER_PATTERN_INVALID says why), not here.

const topicName = { type: 'string', minLength: 1, maxLength: 64 };
const subscription = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    topic: { type: 'string' },
    pattern: { type: 'string' },
    ordered: { type: 'boolean' },
    keyField: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
  required: ['id', 'topic', 'pattern', 'ordered', 'keyField', 'createdAt'],
};
const topic = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    createdAt: { type: 'string' },
    subscriptionCount: { type: 'integer' },
    subscriptions: { type: 'array', items: subscription },
  },
  required: ['name', 'description', 'createdAt'],
};
const deadLetter = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    tenantId: { type: 'string' },
    eventId: { type: 'string' },
    subscriptionId: { type: ['string', 'null'] },
    reason: { type: 'string' },
    detail: { type: 'string' },
    envelope: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    replayedAt: { type: ['string', 'null'] },
  },
  required: ['id', 'tenantId', 'eventId', 'subscriptionId', 'reason', 'detail', 'envelope', 'createdAt'],
};
const byName = { type: 'object', properties: { name: topicName }, required: ['name'] };

module.exports = {
  createTopic: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: topicName, description: { type: 'string', maxLength: 512 } },
    },
    response: { 201: topic, ...errs(400, 401, 403, 409) },
  },
  listTopics: { response: { 200: { type: 'object', properties: { items: { type: 'array', items: topic } }, required: ['items'] }, ...errs(401) } },
  getTopic: { params: byName, response: { 200: topic, ...errs(401, 404) } },
  deleteTopic: { params: byName, response: { ...errs(401, 403, 404) } },
  subscribe: {
    params: byName,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['pattern'],
      properties: {
        pattern: { type: 'string', maxLength: 4096 },
        ordered: { type: 'boolean', default: false },
        keyField: { type: 'string', maxLength: 128 },
      },
    },
    response: { 201: subscription, ...errs(400, 401, 403, 404, 409) },
  },
  unsubscribe: {
    params: { type: 'object', properties: { name: topicName, id: { type: 'string', maxLength: 128 } }, required: ['name', 'id'] },
    response: { ...errs(401, 403, 404) },
  },
  listDeadLetters: {
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
        after: { type: 'string', pattern: '^[0-9]{1,18}$', default: '0' },
        tenantId: { type: 'string', maxLength: 64 },
      },
    },
    response: { 200: { type: 'object', properties: { items: { type: 'array', items: deadLetter } }, required: ['items'] }, ...errs(400, 401, 403) },
  },
  replay: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['ids'],
      properties: { ids: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', pattern: '^[0-9]{1,18}$' } } },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          results: {
            type: 'array',
            items: { type: 'object', properties: { id: { type: 'string' }, replayed: { type: 'boolean' }, reason: { type: 'string' } }, required: ['id', 'replayed'] },
          },
        },
        required: ['results'],
      },
      ...errs(400, 401, 403),
    },
  },
  stats: {
    response: {
      200: { type: 'object', additionalProperties: { type: 'integer' } },
      ...errs(401, 403),
    },
  },
};
