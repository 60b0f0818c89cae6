'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { events: { createEnvelope }, contracts: { validate } } = require('../../../shared');
const { adminError } = require('./errors');

// Tenant lifecycle events. Their data schemas are admin's published contract
// (shared/contracts/admin/schemas); every event is checked against its schema before it is
// written to the outbox, so a malformed event fails the request instead of a consumer.
const SCHEMA_DIR = path.join(__dirname, '..', '..', '..', 'shared', 'contracts', 'admin', 'schemas');
const TENANT_EVENTS = Object.freeze(['tenant.created', 'tenant.suspended', 'tenant.reactivated', 'tenant.deleted']);

const schemas = new Map(
  TENANT_EVENTS.map((type) => [type, JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, `${type}.v1.json`), 'utf8'))]),
);

/** A validated envelope for a tenant event. */
function tenantEvent(type, tenantId, data, { clock, idFactory }) {
  const schema = schemas.get(type);
  if (!schema) throw new TypeError(`unknown tenant event ${type}`);
  const errors = validate(schema, data, '/data');
  if (errors.length) throw adminError('ADMIN_INVALID_REQUEST', `event ${type} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return createEnvelope({ type, version: 1, tenantId, data }, { clock, idFactory });
}

module.exports = { tenantEvent, TENANT_EVENTS, SCHEMA_DIR };
