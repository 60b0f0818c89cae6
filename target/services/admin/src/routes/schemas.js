'use strict';

const { service: { errorResponses: errs } } = require('../../../../shared');

// JSON schemas of admin's routes; the OpenAPI document is generated from them.

const tenantId = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' };
const tenant = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    plan: { type: 'string' },
    status: { type: 'string' },
    legalHold: { type: 'boolean' },
    createdAt: { type: 'string' },
    suspendedAt: { type: ['string', 'null'] },
    deletedAt: { type: ['string', 'null'] },
    purgeAfter: { type: ['string', 'null'] },
    usageTotal: { type: 'number' },
  },
  required: ['id', 'name', 'plan', 'status', 'createdAt'],
};
const flag = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    description: { type: 'string' },
    enabled: { type: 'boolean' },
    rolloutPercent: { type: 'integer' },
    overrides: { type: 'object', additionalProperties: { type: 'boolean' } },
    updatedAt: { type: 'string' },
  },
  required: ['key', 'enabled', 'rolloutPercent'],
};
const quotaName = { type: 'string', enum: ['events.daily', 'pipelines', 'dashboards', 'api_keys'] };
const byId = { type: 'object', properties: { id: tenantId }, required: ['id'] };
const flagKey = { type: 'string', pattern: '^[a-z][a-z0-9._-]{0,63}$' };

module.exports = {
  tenant,
  createTenant: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'plan'],
      properties: { id: tenantId, name: { type: 'string', minLength: 1, maxLength: 128 }, plan: { type: 'string', enum: ['free', 'pro', 'enterprise'] } },
    },
    response: { 201: tenant, ...errs(400, 401, 403, 409) },
  },
  listTenants: {
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
        cursor: { type: 'string', maxLength: 128 },
        status: { type: 'string', enum: ['active', 'suspended', 'deleted', 'purged'] },
      },
    },
    response: {
      200: { type: 'object', properties: { items: { type: 'array', items: tenant }, nextCursor: { type: ['string', 'null'] } }, required: ['items', 'nextCursor'] },
      ...errs(400, 401, 403),
    },
  },
  getTenant: { params: byId, response: { 200: tenant, ...errs(401, 403, 404) } },
  suspendTenant: {
    params: byId,
    body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 512 } } },
    response: { 200: tenant, ...errs(400, 401, 403, 404, 409) },
  },
  reactivateTenant: { params: byId, response: { 200: tenant, ...errs(401, 403, 404, 409) } },
  deleteTenant: { params: byId, response: { 202: tenant, ...errs(401, 403, 404, 409) } },
  legalHold: {
    params: byId,
    body: { type: 'object', additionalProperties: false, required: ['hold'], properties: { hold: { type: 'boolean' } } },
    response: { 200: tenant, ...errs(401, 403, 404) },
  },
  purge: { response: { 200: { type: 'object', properties: { purged: { type: 'array', items: { type: 'string' } } }, required: ['purged'] }, ...errs(401, 403) } },
  quotas: {
    params: byId,
    response: {
      200: {
        type: 'object',
        properties: { items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, limit: { type: 'number' }, used: { type: 'number' }, remaining: { type: 'number' } } } } },
        required: ['items'],
      },
      ...errs(401, 403, 404),
    },
  },
  setQuota: {
    params: { type: 'object', properties: { id: tenantId, name: quotaName }, required: ['id', 'name'] },
    body: { type: 'object', additionalProperties: false, required: ['limit'], properties: { limit: { type: 'integer', minimum: 0, maximum: 1e15 } } },
    response: { 200: { type: 'object', properties: { name: { type: 'string' }, limit: { type: 'number' } } }, ...errs(400, 401, 403, 404) },
  },
  consume: {
    params: { type: 'object', properties: { id: tenantId, name: quotaName }, required: ['id', 'name'] },
    body: { type: 'object', additionalProperties: false, required: ['amount'], properties: { amount: { type: 'integer', minimum: 1, maximum: 1e12 } } },
    response: {
      200: { type: 'object', properties: { name: { type: 'string' }, limit: { type: 'number' }, used: { type: 'number' }, remaining: { type: 'number' } } },
      ...errs(400, 401, 403, 404, 409, 429),
    },
  },
  listFlags: { response: { 200: { type: 'object', properties: { items: { type: 'array', items: flag } }, required: ['items'] }, ...errs(401, 403) } },
  putFlag: {
    params: { type: 'object', properties: { key: flagKey }, required: ['key'] },
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled'],
      properties: { description: { type: 'string', maxLength: 256 }, enabled: { type: 'boolean' }, rolloutPercent: { type: 'integer', minimum: 0, maximum: 100 } },
    },
    response: { 200: flag, ...errs(400, 401, 403) },
  },
  overrideFlag: {
    params: { type: 'object', properties: { key: flagKey, tenantId }, required: ['key', 'tenantId'] },
    body: { type: 'object', additionalProperties: false, required: ['enabled'], properties: { enabled: { type: 'boolean' } } },
    response: { 200: flag, ...errs(400, 401, 403, 404) },
  },
  evaluateFlag: {
    params: { type: 'object', properties: { key: flagKey }, required: ['key'] },
    querystring: { type: 'object', additionalProperties: false, required: ['tenantId'], properties: { tenantId } },
    response: {
      200: { type: 'object', properties: { key: { type: 'string' }, tenantId: { type: 'string' }, enabled: { type: 'boolean' }, reason: { type: 'string' } }, required: ['enabled', 'reason'] },
      ...errs(400, 401, 403, 404),
    },
  },
  audit: {
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { tenantId, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, before: { type: 'integer', minimum: 1 } },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: { id: { type: 'integer' }, at: { type: 'string' }, actor: { type: 'string' }, action: { type: 'string' }, tenantId: { type: ['string', 'null'] }, details: { type: 'object', additionalProperties: true } },
            },
          },
          nextBefore: { type: ['integer', 'null'] },
        },
        required: ['items', 'nextBefore'],
      },
      ...errs(400, 401, 403),
    },
  },
};

// Summaries of the operations, for the OpenAPI document. Every /admin route needs the
// platform-admin role, asserted by the gateway with the internal token.
const DOCS = {
  createTenant: 'Create a tenant',
  listTenants: 'List tenants, one page at a time (keyset cursor)',
  getTenant: 'One tenant',
  deleteTenant: 'Delete a tenant (purged after its retention)',
  suspendTenant: 'Suspend a tenant',
  reactivateTenant: 'Reactivate a suspended tenant',
  legalHold: 'Set or release a legal hold (blocks purge)',
  purge: 'Purge deleted tenants whose retention has elapsed',
  quotas: 'Quotas with usage',
  setQuota: 'Override one quota',
  consume: 'Consume quota (429 when it would be exceeded)',
  listFlags: 'Feature flags',
  putFlag: 'Create or change a flag',
  overrideFlag: 'Per-tenant override',
  evaluateFlag: 'Evaluate a flag for a tenant',
  audit: 'Audit log, newest first',
};
for (const [name, summary] of Object.entries(DOCS)) Object.assign(module.exports[name], { summary, security: [{ gateway: [] }] });
