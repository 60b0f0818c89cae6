'use strict';

const path = require('node:path');
const fs = require('node:fs');
const contracts = require('../../../../shared/contracts');
const { createPublisher, createEnvelope } = require('../../../../shared/events');
const { createFakeClock } = require('../../../../shared/utils/clock');

const CONTRACTS_DIR = path.join(__dirname, '../../../../shared/contracts');

// A rabbit client stand-in that confirms every publish and keeps the bytes that went out.
function capturingRabbit() {
  const sent = [];
  const channel = {
    publish(exchange, routingKey, content, options, cb) {
      sent.push({ exchange, routingKey, body: JSON.parse(content.toString('utf8')), options });
      queueMicrotask(() => cb(null));
      return true;
    },
  };
  return { sent, rabbit: { confirmChannel: async () => channel } };
}

describe('event envelope contract', () => {
  test('every example envelope validates against the envelope schema and its data schema', () => {
    const fixtures = contracts.listFixtures();
    expect(fixtures.length).toBeGreaterThan(0);
    for (const fixture of fixtures) {
      expect({ name: fixture.name, ...contracts.validateEnvelope(fixture.envelope) }).toEqual({ name: fixture.name, valid: true, errors: [] });
    }
  });

  test('each example is named after the type and version it carries and every data schema has one', () => {
    const fixtures = contracts.listFixtures();
    for (const { name, envelope } of fixtures) expect(`${envelope.type}.v${envelope.version}`).toBe(name);
    expect(contracts.listDataSchemas().sort()).toEqual(fixtures.map((f) => f.name).sort());
  });

  test('what the publisher sends has exactly the shape of the example for its type', async () => {
    for (const fixture of contracts.listFixtures()) {
      const { sent, rabbit } = capturingRabbit();
      const publisher = createPublisher({ rabbit, clock: createFakeClock(Date.parse(fixture.envelope.occurredAt)), idFactory: () => fixture.envelope.id });
      const exchange = fixture.envelope.type === 'task.requested' ? 'tasks' : 'events';
      await publisher.publish(fixture.envelope.type, { tenantId: fixture.envelope.tenantId, data: fixture.envelope.data }, { exchange });
      expect(contracts.shapeDifferences(fixture.envelope, sent[0].body)).toEqual([]);
      expect(sent[0].body).toEqual(fixture.envelope);
      expect(sent[0].options).toMatchObject({ messageId: fixture.envelope.id, type: fixture.envelope.type, persistent: true, contentType: 'application/json' });
    }
  });

  test('an example envelope can be published as it is', async () => {
    const fixture = contracts.loadFixture('ingestion.accepted.v1');
    const { sent, rabbit } = capturingRabbit();
    await createPublisher({ rabbit }).publish(fixture.type, fixture);
    expect(sent[0]).toMatchObject({ exchange: 'dn.events', routingKey: 'ingestion.accepted', body: fixture });
  });

  test.each([
    ['a missing tenantId', (e) => delete e.tenantId, '/'],
    ['an unknown top-level field', (e) => (e.tenant_id = 'x'), '/tenant_id'],
    ['a non-integer version', (e) => (e.version = '1'), '/version'],
    ['an occurredAt without offset', (e) => (e.occurredAt = '2024-05-01T10:00:00'), '/occurredAt'],
    ['a type that is not dotted', (e) => (e.type = 'IngestionAccepted'), '/type'],
    ['data that breaks its schema', (e) => (e.data.recordCount = -1), '/data/recordCount'],
    ['data with a renamed field', (e) => (e.data.record_count = e.data.recordCount) && delete e.data.recordCount, '/data/record_count'],
  ])('rejects %s', (label, mutate, pathOfError) => {
    const envelope = contracts.loadFixture('ingestion.accepted.v1');
    mutate(envelope);
    const { valid, errors } = contracts.validateEnvelope(envelope);
    expect(valid).toBe(false);
    expect(errors.map((e) => e.path)).toContain(pathOfError);
  });

  test('createEnvelope refuses what the contract refuses, with a stable code', () => {
    expect(() => createEnvelope({ type: 'ingestion.accepted', tenantId: 't1', data: {} })).toThrow(
      expect.objectContaining({ code: 'DN_EVENTS_ENVELOPE_INVALID' }),
    );
  });

  test('the validator refuses schema keywords it does not implement instead of ignoring them', () => {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'contracts-'));
    try {
      fs.copyFileSync(path.join(CONTRACTS_DIR, 'event-envelope.v1.json'), path.join(dir, 'event-envelope.v1.json'));
      fs.mkdirSync(path.join(dir, 'schemas'));
      fs.writeFileSync(path.join(dir, 'schemas', 'x.y.v1.json'), JSON.stringify({ type: 'object', oneOf: [] }));
      const registry = contracts.createContractRegistry(dir);
      expect(() => registry.validateEnvelope({})).toThrow(/"oneOf" is not supported/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
