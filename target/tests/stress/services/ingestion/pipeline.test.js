'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

// Thousands of events over HTTP from several tenants, with client retries (repeated event ids),
// size-triggered writes, timer ticks and explicit flushes interleaved by a fixed-seed PRNG: every
// distinct (tenant, event id) is stored once, in the order it was first accepted, and appended
// once to its tenant's stream.

const ns = useNamespace({ databases: ['pipeline'] });
let svc;
let clock;
const published = [];

beforeAll(async () => {
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  const publisher = { publish: async (routingKey, envelope) => { published.push(`${envelope.tenantId}/${envelope.id}`); return envelope; } };
  svc = await bootService('ingestion', { ns, clock, env: { INGEST_BATCH_SIZE: '64', INGEST_FLUSH_MS: '50', INGEST_BUFFER_MAX: '100000' }, clients: { publisher } });
});
ns.cleanup(() => svc.close());

const send = (tenantId, ids) => call(svc.app, {
  method: 'POST', url: '/v1/events', headers: internalHeaders({ tenantId }),
  payload: { events: ids.map((eventId) => ({ eventId, name: 'n', ts: '2024-05-01T10:00:00Z' })) },
});

describe('random traffic through the whole write path', () => {
  test.each([101, 202])('seed %i: 2500 events from three tenants with retries: each stored, streamed and published once, in order', async (seed) => {
    const prng = createPrng(seed);
    const tenants = ['a', 'b', 'c'].map((t) => `t-${seed}-${t}`);
    const expected = new Map(tenants.map((t) => [t, []]));
    const sent = new Map(tenants.map((t) => [t, []]));
    let next = 0;
    while (next < 2500) {
      const tenant = prng.pick(tenants);
      const history = sent.get(tenant);
      let ids;
      if (history.length > 0 && prng.bool(0.2)) {
        ids = prng.pick(history); // a client retry of an earlier request
      } else {
        const n = prng.int(1, 40);
        ids = Array.from({ length: n }, (_, i) => `e${next + i}`);
        next += n;
        history.push(ids);
        expected.get(tenant).push(...ids);
      }
      expect((await send(tenant, ids)).statusCode).toBe(202);
      const step = prng.int(0, 9);
      if (step === 0) await svc.app.ingestion.buffer.flush();
      else if (step === 1) await clock.advanceAsync(50);
    }
    await svc.app.ingestion.buffer.flush();
    await svc.app.ingestion.relay.idle();
    await svc.app.ingestion.relay.flush();
    for (const tenant of tenants) {
      const { rows } = await svc.postgres.query('pipeline', 'SELECT event_id FROM ingestion_outbox WHERE tenant_id = $1 ORDER BY seq', [tenant]);
      expect(rows.map((r) => r.event_id)).toEqual(expected.get(tenant));
      expect(await svc.redis.xlen(`events:${tenant}`)).toBe(expected.get(tenant).length);
      const mine = published.filter((p) => p.startsWith(`${tenant}/`));
      expect(mine).toEqual(expected.get(tenant).map((id) => `${tenant}/${id}`));
    }
  });
});
