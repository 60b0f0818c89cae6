'use strict';

const { Pool } = require('pg');
const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { createRabbit } = require('../../../../shared/clients/rabbit');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { createPublisher, subscribe, idempotent, createPgIdempotencyStore } = require('../../../../shared/events');

const closers = [];
// Declared before useNamespace so it runs before the namespace is dropped.
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});
const ns = useNamespace({ databases: ['billing'] });

describe('idempotent consumer under duplicate floods', () => {
  test('200 events with random duplicates and transient failures each take effect exactly once', async () => {
    const prng = createPrng('idempotent-flood');
    const pool = new Pool({ connectionString: ns.env.BILLING_DATABASE_URL, max: 12 });
    closers.push(() => pool.end());
    await pool.query('CREATE TABLE usage_effects (event_id text PRIMARY KEY, units int NOT NULL)');
    const store = createPgIdempotencyStore({ pool, consumer: 'billing.usage' });
    await store.ensureSchema();

    const ids = Array.from({ length: 200 }, (_, i) => `usage-${i}`);
    const duplicated = ids.filter(() => prng.bool(0.25));
    const failing = new Set(ids.filter(() => prng.bool(0.1)));
    const deliveries = prng.shuffle([...ids, ...duplicated]);

    const failedOnce = new Set();
    const allSettled = createDeferred();
    let settled = 0;
    let duplicatesSkipped = 0;
    const effect = idempotent(
      async (event, msg, { tx }) => {
        if (failing.has(event.id) && !failedOnce.has(event.id)) {
          failedOnce.add(event.id);
          await tx.query('INSERT INTO usage_effects VALUES ($1, $2)', [event.id, event.data.units]);
          throw new Error('meter service timed out');
        }
        await tx.query('INSERT INTO usage_effects VALUES ($1, $2)', [event.id, event.data.units]);
      },
      { store, onDuplicate: () => duplicatesSkipped++ },
    );

    const rabbit = createRabbit({ AMQP_URL: ns.env.AMQP_URL, SERVICE_NAME: 'stress-idem' }, { logger: silentLogger, clock: createFakeClock(0) });
    closers.push(() => rabbit.close());
    await subscribe({
      rabbit,
      prefetch: 10,
      maxAttempts: 3,
      queue: { name: 'stress.usage', exchange: 'events', routingKeys: ['usage.metered'], retryDelayMs: 0 },
      handler: async (event, msg, ctx) => {
        await effect(event, msg, ctx);
        settled++;
        if (settled === deliveries.length) allSettled.resolve();
      },
    });
    await rabbit.connect();
    const publisher = createPublisher({ rabbit });
    for (const id of deliveries) {
      await publisher.publish('usage.metered', { tenantId: 't1', data: { units: Number(id.slice(6)) } }, { messageId: id });
    }
    await allSettled.promise;

    const { rows } = await pool.query('SELECT event_id, units FROM usage_effects ORDER BY units');
    expect(rows.map((r) => r.event_id)).toEqual(ids);
    expect(duplicatesSkipped).toBe(duplicated.length);
    expect(failedOnce.size).toBe(failing.size);
    const processed = await pool.query('SELECT count(*)::int AS n FROM processed_messages');
    expect(processed.rows[0].n).toBe(200);
  });
});
