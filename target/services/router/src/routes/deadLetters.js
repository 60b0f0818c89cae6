'use strict';

const S = require('./schemas');
const { requireWriter } = require('../identity');
const { routerError } = require('../errors');

// Operator endpoints: a tenant's open dead letters, and replaying chosen ones. A platform
// administrator sees every tenant's (or one tenant's with ?tenantId=).
function scopeOf(req) {
  if (req.caller.role === 'platform-admin') return req.query && req.query.tenantId !== undefined ? req.query.tenantId : null;
  if (req.query && req.query.tenantId !== undefined && req.query.tenantId !== req.caller.tenantId) {
    throw routerError('ROUTER_FORBIDDEN', 'dead letters of another tenant');
  }
  return req.caller.tenantId;
}

async function deadLetterRoutes(app, { deadLetters, router }) {
  app.get('/dead-letters', { schema: S.listDeadLetters }, async (req) => ({
    items: await deadLetters.list({ tenantId: scopeOf(req), limit: req.query.limit, afterId: req.query.after }),
  }));
  app.post('/dead-letters/replay', { schema: S.replay, preHandler: requireWriter }, async (req) => {
    const tenantId = req.caller.role === 'platform-admin' ? null : req.caller.tenantId;
    const found = await deadLetters.byIds(req.body.ids, tenantId);
    const results = await router.replay(found);
    const seen = new Set(found.map((d) => d.id));
    for (const id of req.body.ids) if (!seen.has(id)) results.push({ id, replayed: false, reason: 'not-found' });
    return { results };
  });
  app.get('/routing/stats', { schema: S.stats }, async () => router.stats());
}

module.exports = { deadLetterRoutes };
