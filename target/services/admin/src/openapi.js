'use strict';

const S = require('./routes/schemas');

function op(summary, schema) {
  const out = { summary, security: [{ gateway: [] }], responses: {} };
  if (schema.body) out.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
  if (schema.querystring) {
    out.parameters = Object.entries(schema.querystring.properties).map(([name, s]) => ({ name, in: 'query', required: (schema.querystring.required || []).includes(name), schema: s }));
  }
  for (const [status, body] of Object.entries(schema.response || {})) {
    out.responses[status] = { description: status, content: { 'application/json': { schema: body } } };
  }
  return out;
}

const openapi = Object.freeze({
  openapi: '3.1.0',
  info: { title: 'DataNexus admin', version: '1.0.0', description: 'Tenant lifecycle, quotas, feature flags and the audit log. Every /admin route needs the platform-admin role, asserted by the gateway.' },
  components: { securitySchemes: { gateway: { type: 'apiKey', in: 'header', name: 'x-internal-token' } } },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
    '/ready': { get: { summary: 'Readiness (PostgreSQL reachable, outbox backlog)', responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
    '/admin/tenants': { post: op('Create a tenant', S.createTenant), get: op('List tenants, one page at a time (keyset cursor)', S.listTenants) },
    '/admin/tenants/{id}': { get: op('One tenant', S.getTenant), delete: op('Delete a tenant (purged after its retention)', S.deleteTenant) },
    '/admin/tenants/{id}/suspend': { post: op('Suspend a tenant', S.suspendTenant) },
    '/admin/tenants/{id}/reactivate': { post: op('Reactivate a suspended tenant', S.reactivateTenant) },
    '/admin/tenants/{id}/legal-hold': { put: op('Set or release a legal hold (blocks purge)', S.legalHold) },
    '/admin/tenants/purge': { post: op('Purge deleted tenants whose retention has elapsed', S.purge) },
    '/admin/tenants/{id}/quotas': { get: op('Quotas with usage', S.quotas) },
    '/admin/tenants/{id}/quotas/{name}': { put: op('Override one quota', S.setQuota) },
    '/admin/tenants/{id}/usage/{name}': { post: op('Consume quota (429 when it would be exceeded)', S.consume) },
    '/admin/flags': { get: op('Feature flags', S.listFlags) },
    '/admin/flags/{key}': { put: op('Create or change a flag', S.putFlag) },
    '/admin/flags/{key}/tenants/{tenantId}': { put: op('Per-tenant override', S.overrideFlag) },
    '/admin/flags/{key}/evaluate': { get: op('Evaluate a flag for a tenant', S.evaluateFlag) },
    '/admin/audit': { get: op('Audit log, newest first', S.audit) },
  },
});

module.exports = { openapi };
