'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { loadFixture, validateEnvelope, shapeDifferences } = require('../../../../shared/contracts');
const { bootService } = require('../../../support/boot-service');
const { delivery, recordingPublisher, tenantApi } = require('../../../unit/services/router/fixtures');

// The router consumes transform.record exactly as the contract's example shows it and emits
// router.routed as its own contract (shared/contracts/router) describes it.

const ns = useNamespace({ databases: ['pipeline'] });
const publisher = recordingPublisher();
let router;
const subs = {};

beforeAll(async () => {
  router = await bootService('router', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)), clients: { publisher } });
  const acme = tenantApi(router.app, 'tenant-acme');
  [subs.acmeAll] = await acme.setup('web', ['#']);
  subs.acmeCountry = (await acme.subscribe('web', 'pageview', { ordered: true, keyField: 'dimensions.country' })).json();
  [subs.globex] = await tenantApi(router.app, 'tenant-globex').setup('web', ['pageview']);
});
ns.cleanup(() => router.close());

const handle = (envelope, headers) => router.app.routerParts.handleRecord(envelope, delivery(envelope, headers));

describe('consuming transform.record', () => {
  test('the contract example is routed to the subscriptions of its tenant', async () => {
    const example = loadFixture('transform.record.v1');
    const outcome = await handle(example);
    expect(outcome).toMatchObject({ status: 'routed', deadLettered: [] });
    expect(outcome.published.sort()).toEqual([subs.acmeAll.id, subs.acmeCountry.id].sort());
    const copies = publisher.published.filter((p) => p.envelope.data.sourceEventId === example.id);
    expect(copies.every((p) => p.envelope.tenantId === 'tenant-acme')).toBe(true);
  });

  test('the same example for another tenant reaches only that tenant', async () => {
    const example = loadFixture('transform.record.v1');
    example.id = 'evt-20240501-0002';
    example.data.eventId = example.id;
    example.tenantId = 'tenant-globex';
    expect(await handle(example)).toEqual({ status: 'routed', published: [subs.globex.id], deadLettered: [] });
  });

  test('the tenant is the envelope\'s, whatever a header claims', async () => {
    const example = loadFixture('transform.record.v1');
    example.id = 'evt-20240501-0003';
    example.data.eventId = example.id;
    expect(await handle(example, { 'x-tenant-id': 'tenant-globex' })).toMatchObject({ status: 'routed', published: expect.not.arrayContaining([subs.globex.id]) });
    const copies = publisher.published.filter((p) => p.envelope.data.sourceEventId === example.id);
    expect(copies.map((p) => p.envelope.tenantId)).toEqual(['tenant-acme', 'tenant-acme']);
  });
});

describe('emitting router.routed', () => {
  test('the router.routed example matches its own contract', () => {
    const example = loadFixture('router.routed.v1');
    expect(validateEnvelope(example)).toEqual({ valid: true, errors: [] });
  });

  test('every copy the router emits matches the contract and has the example\'s shape', async () => {
    const source = loadFixture('transform.record.v1');
    source.id = 'evt-20240501-0004';
    source.data.eventId = source.id;
    await handle(source);
    const copies = publisher.published.filter((p) => p.envelope.data.sourceEventId === source.id);
    expect(copies).toHaveLength(2);
    const example = loadFixture('router.routed.v1');
    for (const { routingKey, envelope } of copies) {
      expect(routingKey).toBe('router.routed');
      expect(validateEnvelope(envelope)).toEqual({ valid: true, errors: [] });
    }
    const ordered = copies.find((p) => p.envelope.data.subscriptionId === subs.acmeCountry.id).envelope;
    expect(shapeDifferences(example, ordered)).toEqual([]);
    expect(ordered.data).toMatchObject({ orderingKey: 'DE', routingKey: 'pageview', record: source.data });
  });
});
