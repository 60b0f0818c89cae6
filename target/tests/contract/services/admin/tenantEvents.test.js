'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { validate, validateEnvelope, shapeDifferences } = require('../../../../shared/contracts');
const { tenantEvent, TENANT_EVENTS, SCHEMA_DIR } = require('../../../../services/admin/src/events');
const { applyTenantEvent } = require('../../../../services/auth/src/tenantEvents');
const { createFakeClock } = require('../../../../shared/utils/clock');

const FIXTURE_DIR = path.join(SCHEMA_DIR, '..', 'events');
const fixture = (type) => JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, `${type}.v1.json`), 'utf8'));
const schema = (type) => JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, `${type}.v1.json`), 'utf8'));

describe('tenant lifecycle event contracts', () => {
  test.each(TENANT_EVENTS)('the %s fixture is a valid envelope whose data matches the schema', (type) => {
    const envelope = fixture(type);
    expect(validateEnvelope(envelope)).toEqual({ valid: true, errors: [] });
    expect(validate(schema(type), envelope.data, '/data')).toEqual([]);
  });

  test.each(TENANT_EVENTS)('admin produces %s with the fixture\'s shape', (type) => {
    const example = fixture(type);
    const produced = tenantEvent(type, 'tenant-x', example.data, { clock: createFakeClock(0), idFactory: () => '00000000-0000-4000-8000-000000000000' });
    expect(shapeDifferences(example, produced)).toEqual([]);
  });

  test('auth consumes every tenant event fixture into a status change', async () => {
    const calls = [];
    const repo = {
      setTenantStatus: async (tx, tenantId, status, at) => calls.push(['status', tenantId, status, at]),
      revokeTenant: async (tx, tenantId) => {
        calls.push(['revoke', tenantId]);
        return ['k1'];
      },
    };
    const outcomes = [];
    for (const type of TENANT_EVENTS) outcomes.push(await applyTenantEvent({ repo }, {}, fixture(type)));
    expect(outcomes.map((o) => o.status)).toEqual(['active', 'suspended', 'active', 'deleted']);
    expect(calls.filter((c) => c[0] === 'revoke')).toEqual([['revoke', 'tenant-acme']]);
    expect(calls[0][3]).toBe(Date.parse('2024-05-01T10:00:00.000Z'));
  });
});
