'use strict';

const { service: { errorResponses: errors } } = require('../../../../shared');

// JSON schemas of auth's routes; the OpenAPI document is generated from them.

const id = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' };
const role = { type: 'string', enum: ['viewer', 'member', 'admin', 'owner'] };
const principal = {
  type: 'object',
  properties: {
    tenantId: { type: 'string' },
    keyId: { type: 'string' },
    role: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
  },
  required: ['tenantId', 'keyId', 'role', 'scopes'],
};
const keyView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    tenantId: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    rotatedFrom: { type: ['string', 'null'] },
  },
  required: ['id', 'tenantId', 'name', 'role', 'scopes', 'createdAt'],
};
const issuedKey = { ...keyView, properties: { ...keyView.properties, key: { type: 'string' } }, required: [...keyView.required, 'key'] };

const internal = 'Internal: needs the x-internal-token header of the gateway.';

// Summaries of the operations, for the OpenAPI document.
const DOCS = {
  verifyKey: { summary: 'Verify an API key (gateway)', description: internal },
  createKey: { summary: 'Issue an API key (keys:write)' },
  listKeys: { summary: "List the tenant's keys (keys:read)" },
  rotateKey: { summary: 'Replace a key by a new one (keys:write)' },
  revokeKey: { summary: 'Revoke a key (keys:write)' },
  login: { summary: 'Console login: email and password to a session token' },
  currentSession: { summary: 'The session of the bearer token' },
  createUser: { summary: "Add a user to the caller's tenant (users:write)" },
  createTeam: { summary: 'Create a team (teams:write)' },
  listMembers: { summary: 'Members of a team' },
  addMember: { summary: 'Add or change a member' },
  checkPermission: { summary: 'Does a role hold a permission?', description: internal },
};

module.exports = {
  principal,
  keyView,
  verifyKey: {
    body: { type: 'object', additionalProperties: false, required: ['key'], properties: { key: { type: 'string', maxLength: 256 } } },
    response: { 200: principal, ...errors(401, 403, 503) },
  },
  createKey: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, role: { type: 'string', enum: ['viewer', 'member', 'admin', 'owner', 'platform-admin'] }, scopes: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 } } },
    },
    response: { 201: issuedKey, ...errors(400, 401, 403) },
  },
  listKeys: { response: { 200: { type: 'object', properties: { items: { type: 'array', items: keyView } }, required: ['items'] }, ...errors(401, 403) } },
  rotateKey: { params: { type: 'object', properties: { id }, required: ['id'] }, response: { 201: issuedKey, ...errors(401, 403, 404, 409) } },
  revokeKey: { params: { type: 'object', properties: { id }, required: ['id'] }, response: { ...errors(401, 403, 404, 409) } },
  login: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['email', 'password'],
      properties: { email: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 256 } },
    },
    response: {
      201: {
        type: 'object',
        properties: { token: { type: 'string' }, expiresAt: { type: 'string' }, userId: { type: 'string' }, tenantId: { type: 'string' }, role: { type: 'string' } },
        required: ['token', 'expiresAt'],
      },
      ...errors(400, 401, 403),
    },
  },
  currentSession: {
    response: {
      200: {
        type: 'object',
        properties: { userId: { type: 'string' }, tenantId: { type: 'string' }, role: { type: 'string' }, expiresAt: { type: 'string' } },
        required: ['userId', 'tenantId', 'role'],
      },
      ...errors(401),
    },
  },
  createUser: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['email', 'password'],
      properties: { email: { type: 'string', maxLength: 254 }, password: { type: 'string', minLength: 8, maxLength: 256 }, role },
    },
    response: {
      201: { type: 'object', properties: { id: { type: 'string' }, tenantId: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } }, required: ['id', 'tenantId', 'email', 'role'] },
      ...errors(400, 401, 403, 409),
    },
  },
  createTeam: {
    body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } },
    response: { 201: { type: 'object', properties: { id: { type: 'string' }, tenantId: { type: 'string' }, name: { type: 'string' } }, required: ['id', 'name'] }, ...errors(401, 403, 409) },
  },
  addMember: {
    params: { type: 'object', properties: { id }, required: ['id'] },
    body: { type: 'object', additionalProperties: false, required: ['userId', 'role'], properties: { userId: id, role: { type: 'string', enum: ['viewer', 'member', 'admin'] } } },
    response: { 201: { type: 'object', properties: { teamId: { type: 'string' }, userId: { type: 'string' }, role: { type: 'string' } } }, ...errors(401, 403, 404) },
  },
  listMembers: {
    params: { type: 'object', properties: { id }, required: ['id'] },
    response: {
      200: {
        type: 'object',
        properties: { items: { type: 'array', items: { type: 'object', properties: { userId: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } } } } },
        required: ['items'],
      },
      ...errors(401, 403, 404),
    },
  },
  checkPermission: {
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['role', 'permission'],
      properties: { role: { type: 'string', maxLength: 32 }, permission: { type: 'string', maxLength: 64 } },
    },
    response: { 200: { type: 'object', properties: { allowed: { type: 'boolean' } }, required: ['allowed'] }, ...errors(401) },
  },
};

for (const [name, doc] of Object.entries(DOCS)) Object.assign(module.exports[name], doc);
