'use strict';

const S = require('./schemas');
const { requireWriter } = require('../identity');

async function retentionRoutes(app, { retention }) {
  app.get('/retention', { schema: S.getRetention }, async (req) => retention.get(req.caller.tenantId));
  app.put('/retention', { schema: S.setRetention, preHandler: requireWriter }, async (req) => retention.set(req.caller.tenantId, req.body.days));
}

module.exports = { retentionRoutes };
