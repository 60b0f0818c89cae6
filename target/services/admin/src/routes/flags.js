'use strict';

const S = require('./schemas');
const { listAudit } = require('../audit');

async function flagRoutes(app, { flags }) {
  app.get('/flags', { schema: S.listFlags }, async () => ({ items: await flags.list() }));
  app.put('/flags/:key', { schema: S.putFlag }, async (req) => flags.put(req.caller.actor, req.params.key, req.body));
  app.put('/flags/:key/tenants/:tenantId', { schema: S.overrideFlag }, async (req) =>
    flags.setOverride(req.caller.actor, req.params.key, req.params.tenantId, req.body.enabled),
  );
  app.get('/flags/:key/evaluate', { schema: S.evaluateFlag }, async (req) => flags.evaluate(req.params.key, req.query.tenantId));
}

async function auditRoutes(app, { postgres }) {
  app.get('/audit', { schema: S.audit }, async (req) => listAudit(postgres, req.query));
}

module.exports = { flagRoutes, auditRoutes };
