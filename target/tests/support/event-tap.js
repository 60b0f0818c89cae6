'use strict';

const amqp = require('amqplib');

/**
 * Collects every message published on a topic exchange (dn.events unless `exchange` says
 * otherwise) with a routing key matching `pattern`, in the namespace's vhost, on a queue of its
 * own (exclusive, gone when closed). `until(condition)` re-checks the condition on each message
 * instead of polling.
 */
async function tapEvents(ns, pattern = 'tenant.#', { exchange = 'dn.events' } = {}) {
  const conn = await amqp.connect(ns.env.AMQP_URL);
  const ch = await conn.createChannel();
  await ch.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, exchange, pattern);
  const events = [];
  const waiting = [];
  conn.on('error', () => {});
  ch.on('error', () => {});
  await ch.consume(queue, (msg) => {
    if (msg === null) return; // consumer cancelled by the broker (vhost dropped)
    const event = JSON.parse(msg.content.toString('utf8'));
    events.push(event);
    ch.ack(msg);
    for (const waiter of waiting.filter((w) => w.condition())) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  return {
    events,
    /** Resolves once `condition()` holds: now, or after the event that makes it hold. */
    until(condition) {
      if (condition()) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ condition, resolve }));
    },
    async close() {
      await conn.close().catch(() => {});
    },
  };
}

/**
 * How many events about `tenantId` admin's outbox has published (broker-confirmed). Admin
 * publishes before it answers, so once a request has returned this is the number of events a
 * subscriber will receive: a test waits for that many, never for an event that was not sent.
 */
async function publishedByAdmin(postgres, tenantId) {
  const { rows } = await postgres.query(
    'users',
    "SELECT count(*)::int AS n FROM admin_outbox WHERE envelope->>'tenantId' = $1 AND published_at IS NOT NULL",
    [tenantId],
  );
  return rows[0].n;
}

module.exports = { tapEvents, publishedByAdmin };
