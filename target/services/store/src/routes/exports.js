'use strict';

const S = require('./schemas');

async function exportRoutes(app, { exports }) {
  app.post('/exports', { schema: S.createExport }, async (req, reply) => {
    reply.code(201);
    return exports.create(req.caller.tenantId, req.body);
  });
  app.get('/exports', { schema: S.listExports }, async (req) => ({ items: await exports.list(req.caller.tenantId) }));
  app.get('/exports/:file', { schema: S.downloadExport }, async (req, reply) => {
    const found = await exports.open(req.caller.tenantId, req.params.file);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-length', found.size);
    reply.header('content-disposition', `attachment; filename="${found.file.replace(/"/g, '')}"`);
    return reply.send(found.stream);
  });
}

module.exports = { exportRoutes };
