'use strict';

const S = require('./schemas');

async function tenantRoutes(app, { tenants }) {
  app.post('/tenants', { schema: S.createTenant }, async (req, reply) => {
    reply.code(201);
    return tenants.create(req.caller.actor, req.body);
  });
  app.get('/tenants', { schema: S.listTenants }, async (req) => tenants.list(req.query));
  app.get('/tenants/:id', { schema: S.getTenant }, async (req) => tenants.get(req.params.id));
  app.post('/tenants/:id/suspend', { schema: S.suspendTenant }, async (req) => tenants.suspend(req.caller.actor, req.params.id, req.body));
  app.post('/tenants/:id/reactivate', { schema: S.reactivateTenant }, async (req) => tenants.reactivate(req.caller.actor, req.params.id));
  app.delete('/tenants/:id', { schema: S.deleteTenant }, async (req, reply) => {
    reply.code(202);
    return tenants.remove(req.caller.actor, req.params.id);
  });
  app.put('/tenants/:id/legal-hold', { schema: S.legalHold }, async (req) => tenants.setLegalHold(req.caller.actor, req.params.id, req.body.hold));
  app.post('/tenants/purge', { schema: S.purge }, async (req) => ({ purged: await tenants.purgeDue(req.caller.actor) }));
  app.get('/tenants/:id/quotas', { schema: S.quotas }, async (req) => ({ items: await tenants.quotas(req.params.id) }));
  app.put('/tenants/:id/quotas/:name', { schema: S.setQuota }, async (req) => tenants.setQuota(req.caller.actor, req.params.id, req.params.name, req.body.limit));
  app.post('/tenants/:id/usage/:name', { schema: S.consume }, async (req) => tenants.consume(req.params.id, req.params.name, req.body.amount));
}

module.exports = { tenantRoutes };
