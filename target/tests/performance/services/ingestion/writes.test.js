'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

// Work is counted, never timed: statements and transactions through the PostgreSQL client's own
// statistics, publishes through the publisher the service is given.

const ns = useNamespace({ databases: ['pipeline'] });
let svc;
const published = [];

beforeAll(async () => {
  const publisher = { publish: async (routingKey, envelope) => { published.push(envelope.id); return envelope; } };
  svc = await bootService('ingestion', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)), env: { INGEST_BATCH_SIZE: '100000', INGEST_BUFFER_MAX: '100000', INGEST_MAX_EVENTS: '1000', INGEST_MAX_BODY_BYTES: String(4 * 1024 * 1024) }, clients: { publisher } });
});
ns.cleanup(() => svc.close());

const events = (prefix, n) => Array.from({ length: n }, (_, i) => ({ eventId: `${prefix}-${i}`, name: 'n', ts: '2024-05-01T10:00:00Z', properties: { i } }));
const send = (tenantId, list) => call(svc.app, { method: 'POST', url: '/v1/events', headers: internalHeaders({ tenantId }), payload: { events: list } });

async function countedWrite(fn) {
  await svc.app.ingestion.relay.idle();
  svc.postgres.resetStats();
  await fn();
  await svc.app.ingestion.buffer.flush();
  await svc.app.ingestion.relay.idle();
  return svc.postgres.stats().pipeline;
}

describe('outbox writes', () => {
  test.each([[10], [1000], [3000]])('a buffered batch of %i events is one transaction with a constant number of statements', async (n) => {
    const stats = await countedWrite(async () => {
      for (let sent = 0; sent < n; sent += 1000) await send(`t-w${n}`, events(`w${n}-${sent}`, Math.min(1000, n - sent)));
    });
    const { rows } = await svc.postgres.query('pipeline', 'SELECT count(*)::int AS n FROM ingestion_outbox WHERE tenant_id = $1', [`t-w${n}`]);
    expect(rows[0].n).toBe(n);
    // The write (BEGIN, INSERT, COMMIT) and the relay's runs (BEGIN, SELECT, UPDATE, COMMIT per 200 rows).
    expect(stats.transactions).toBeLessThanOrEqual(1 + Math.ceil(n / 200) + 1);
    expect(stats.queries).toBeLessThanOrEqual(3 + 4 * (Math.ceil(n / 200) + 1));
  });

  test('each stored event is published exactly once, a retried one not again', async () => {
    published.length = 0;
    await countedWrite(() => send('t-pub', events('pub', 300)));
    await countedWrite(() => send('t-pub', events('pub', 300)));
    expect(published).toHaveLength(300);
    expect(new Set(published).size).toBe(300);
  });

  test('a retried batch adds no stream entries', async () => {
    await countedWrite(() => send('t-stream', events('st', 50)));
    await countedWrite(() => send('t-stream', events('st', 50)));
    expect(await svc.redis.xlen('events:t-stream')).toBe(50);
  });
});
