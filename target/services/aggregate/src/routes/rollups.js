'use strict';

const S = require('./schemas');
const { requireWriter } = require('../identity');
const { normalizeDefinition } = require('../rollups/definitions');

// A definition as the API shows it: only the window fields its kind has, the histogram's bounds
// under `histogram`.
function view(def) {
  const { bounds, window, ...rest } = def;
  const shown = Object.fromEntries(Object.entries(window).filter(([, v]) => v !== null));
  return { ...rest, window: shown, histogram: def.functions.includes('histogram') ? { bounds } : null };
}

async function rollupRoutes(app, { rollups }) {
  app.post('/rollups', { schema: S.createRollup, preHandler: requireWriter }, async (req, reply) => {
    const def = normalizeDefinition(req.body);
    reply.code(201);
    return view(await rollups.create(req.caller.tenantId, def));
  });
  app.get('/rollups', { schema: S.listRollups }, async (req) => ({ items: (await rollups.list(req.caller.tenantId)).map(view) }));
  app.get('/rollups/:rollupId', { schema: S.getRollup }, async (req) => view(await rollups.get(req.caller.tenantId, req.params.rollupId)));
  app.delete('/rollups/:rollupId', { schema: S.deleteRollup, preHandler: requireWriter }, async (req, reply) => {
    await rollups.remove(req.caller.tenantId, req.params.rollupId);
    return reply.code(204).send();
  });
}

module.exports = { rollupRoutes };
