'use strict';

const amqp = require('amqplib');
const { Pool } = require('pg');
const { useNamespace } = require('../../../support/namespace');
const { createDeferred } = require('../../../support/deferred');
const { waitUntil } = require('../../../support/wait-for');
const { createLogTap, failureSettled } = require('../../../support/log-tap');
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
    // An idle connection dropped by the server must not crash the test process; queries still fail.
    pool.on('error', () => {});
    closers.push(() => pool.end());
    await pool.query('CREATE TABLE usage_effects (event_id text PRIMARY KEY, units int NOT NULL)');
    const store = createPgIdempotencyStore({ pool, consumer: 'billing.usage' });
    await store.ensureSchema();

    const ids = Array.from({ length: 200 }, (_, i) => `usage-${i}`);
    const duplicated = ids.filter(() => prng.bool(0.25));
    const failing = new Set(ids.filter(() => prng.bool(0.1)));
    const deliveries = prng.shuffle([...ids, ...duplicated]);

    const failedOnce = new Set();
    const firstPass = createDeferred();
    const firstFailure = createDeferred();
    const allSettled = createDeferred();
    let settled = 0;
    let failures = 0;
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
    // Every delivery is handled once (settled or failed) before the failed ones come back: the retry
    // delay is long, and the test hands the parked copies back itself once it has counted them.
    const handledOnce = () => {
      if (settled + failures === deliveries.length) firstPass.resolve();
    };
    const tap = createLogTap();
    await subscribe({
      rabbit,
      logger: tap.logger,
      prefetch: 10,
      maxAttempts: 3,
      queue: { name: 'stress.usage', exchange: 'events', routingKeys: ['usage.metered'], retryDelayMs: 3_600_000 },
      handler: async (event, msg, ctx) => {
        try {
          await effect(event, msg, ctx);
        } catch (err) {
          failures++;
          firstFailure.resolve();
          handledOnce();
          throw err;
        }
        settled++;
        handledOnce();
        if (settled === deliveries.length) allSettled.resolve();
      },
    });
    await rabbit.connect();
    const publisher = createPublisher({ rabbit });
    for (const id of deliveries) {
      await publisher.publish('usage.metered', { tenantId: 't1', data: { units: Number(id.slice(6)) } }, { messageId: id });
    }
    // Each failed delivery is parked in the retry queue. The consumer logs that it settles a failure,
    // then republishes on the client's shared channel in the same tick, and the broker handles a
    // channel's frames in order, so a count taken there once the records are logged sees every
    // copy; a bounded number of checks, no timer. The first copy is checked as soon as the first
    // failure is settled: a consumer that cannot settle its failures stops receiving once its
    // prefetch is used up, and would never get through the first pass.
    const shared = await rabbit.channel();
    const parked = async () => (await shared.checkQueue('stress.usage.retry')).messageCount;
    await firstFailure.promise;
    await tap.nth(1, failureSettled);
    await waitUntil(async () => (await parked()) >= 1, { maxIterations: 100, description: 'the first failed delivery parked in stress.usage.retry' });
    await firstPass.promise;
    await tap.nth(failures, failureSettled);
    await waitUntil(async () => (await parked()) === failures, {
      maxIterations: 100,
      description: `${failures} failed deliveries parked in stress.usage.retry`,
    });
    // What the broker does when the retry delay is over: rejected in the retry queue, a copy is
    // dead-lettered back into the work queue.
    const conn = await amqp.connect(ns.env.AMQP_URL);
    conn.on('error', () => {});
    closers.push(() => conn.close().catch(() => {}));
    const handBack = await conn.createChannel();
    for (let i = 0; i < failures; i++) {
      const copy = await handBack.get('stress.usage.retry', { noAck: false });
      expect(copy).not.toBe(false);
      handBack.nack(copy, false, false);
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
