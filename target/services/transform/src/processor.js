'use strict';

// Turns one ingestion.record into one transform.record: the tenant's mapping for the event name
// (latest version, or none: mappingVersion 0), its UDF (latest version), its enrichment. The
// output keeps the event's id, tenant and event time.

const path = require('node:path');
const fs = require('node:fs');
const { contracts: { validate } } = require('../../../shared');
const { effectiveConfig } = require('./mappingConfig');
const { applyMapping, applyPatch } = require('./mapping');
const { transformError } = require('./errors');

const INGESTION_SCHEMA = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'shared', 'contracts', 'ingestion', 'schemas', 'ingestion.record.v1.json'), 'utf8'),
);

function createProcessor({ store, pool, enrichment, clock }) {
  /** Checks `data` against ingestion.record; TRANSFORM_EVENT_INVALID (not retryable) otherwise. */
  function assertRecord(data) {
    const errors = validate(INGESTION_SCHEMA, data, '/data');
    if (errors.length) {
      const err = transformError('TRANSFORM_EVENT_INVALID', `ingestion.record is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      err.retryable = false;
      throw err;
    }
  }

  /**
   * The transform.record data for `data` under `mapping` (`{ version, config }` or undefined).
   * @returns {Promise<object>}
   */
  async function transformRecord(tenantId, data, mapping) {
    const config = effectiveConfig(mapping && mapping.config);
    const record = applyMapping(data, config, { now: clock.now() });
    if (config.udf) {
      const udf = await store.udfs.get(tenantId, config.udf);
      if (!udf) throw transformError('TRANSFORM_UDF_NOT_FOUND', `mapping names UDF ${config.udf}, which tenant ${tenantId} does not have`, { udf: config.udf });
      const input = { name: record.name, ts: record.ts, properties: record.properties, dimensions: record.dimensions };
      const patch = await pool.run({ tenantId, name: udf.name, version: udf.version, source: udf.source }, input);
      applyPatch(record, patch, udf.name);
    }
    record.mappingVersion = mapping ? mapping.version : 0;
    const enriched = await enrichment.lookup(tenantId, config.enrich);
    if (enriched !== undefined) record.enrichment = enriched;
    return record;
  }

  /** The envelope to publish for an ingestion.record envelope. */
  async function process(event) {
    const data = event.data;
    assertRecord(data);
    const mapping = await store.mappings.get(event.tenantId, data.name);
    const record = await transformRecord(event.tenantId, data, mapping);
    return {
      id: data.eventId,
      type: 'transform.record',
      version: 1,
      occurredAt: record.ts,
      tenantId: event.tenantId,
      data: record,
      ...(event.correlationId !== undefined ? { correlationId: event.correlationId } : {}),
    };
  }

  return { process, transformRecord, assertRecord };
}

module.exports = { createProcessor, INGESTION_SCHEMA };
