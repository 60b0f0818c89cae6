'use strict';

const S = require('./schemas');

async function seriesRoutes(app, { queries, archive }) {
  app.get('/rollups/:rollupId/series', { schema: S.series }, async (req) => {
    const { from, to, resolution, seriesKey } = req.query;
    const result = await queries.series({ tenantId: req.caller.tenantId, rollupId: req.params.rollupId, resolution, from, to, seriesKey });
    return { rollupId: req.params.rollupId, resolution, ...result };
  });
  app.get('/rollups/:rollupId/archive', { schema: S.archive }, async (req) => {
    const { seriesKey } = req.query;
    return { seriesKey, points: await archive.read(req.caller.tenantId, req.params.rollupId, seriesKey) };
  });
}

module.exports = { seriesRoutes };
