'use strict';

const vm = require('node:vm');
const S = require('./schemas');
const { requireWriter } = require('../identity');
const { effectiveConfig } = require('../mappingConfig');
const { transformError } = require('../errors');

function withEffective(mapping) {
  return { ...mapping, effective: effectiveConfig(mapping.config) };
}

async function transformRoutes(app, { store, processor, enrichment }) {
  app.put('/mappings/:name', { schema: S.putMapping, preHandler: requireWriter }, async (req, reply) => {
    const stored = await store.mappings.put(req.caller.tenantId, req.params.name, req.body);
    reply.code(201);
    return withEffective(stored);
  });

  app.get('/mappings/:name', { schema: S.getMapping }, async (req) => {
    const mapping = await store.mappings.get(req.caller.tenantId, req.params.name, req.query.version);
    if (!mapping) throw transformError('TRANSFORM_MAPPING_NOT_FOUND', `no mapping ${req.params.name}${req.query.version ? ` version ${req.query.version}` : ''}`);
    return withEffective(mapping);
  });

  app.post('/mappings/:name/preview', { schema: S.previewMapping }, async (req) => {
    const mapping = await store.mappings.get(req.caller.tenantId, req.params.name);
    if (!mapping) throw transformError('TRANSFORM_MAPPING_NOT_FOUND', `no mapping ${req.params.name}`);
    return processor.transformRecord(req.caller.tenantId, req.body, mapping);
  });

  app.put('/udfs/:name', { schema: S.putUdf, preHandler: requireWriter }, async (req, reply) => {
    try {
      // Parsed only, never run here: a syntax error is the caller's, reported before storing.
      new vm.Script(`(function udf(input, helpers) {\n'use strict';\n${req.body.source}\n})`);
    } catch (err) {
      throw transformError('TRANSFORM_UDF_INVALID', `UDF ${req.params.name} does not compile: ${err.message}`);
    }
    const stored = await store.udfs.put(req.caller.tenantId, req.params.name, req.body.source);
    reply.code(201);
    return stored;
  });

  app.get('/udfs/:name', { schema: S.getUdf }, async (req) => {
    const udf = await store.udfs.get(req.caller.tenantId, req.params.name, req.query.version);
    if (!udf) throw transformError('TRANSFORM_UDF_NOT_FOUND', `no UDF ${req.params.name}${req.query.version ? ` version ${req.query.version}` : ''}`);
    return udf;
  });

  app.put('/enrichment/:field', { schema: S.putEnrichment, preHandler: requireWriter }, async (req) => {
    await enrichment.set(req.caller.tenantId, req.params.field, req.body.value);
    return { field: req.params.field, value: req.body.value };
  });
}

module.exports = { transformRoutes };
