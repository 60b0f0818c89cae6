'use strict';

const amqp = require('amqplib');
const { stallWatch, stalled, STALL_MS } = require('./wait-for');

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
    for (const waiter of [...waiting]) {
      waiter.watch.kick();
      if (!waiter.condition()) continue;
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.watch.stop();
      waiter.resolve();
    }
  });
  return {
    events,
    /**
     * Resolves once `condition()` holds: now, or after the event that makes it hold. Rejects when
     * no message came for the stall bound (support/wait-for.js) while it did not.
     */
    until(condition) {
      if (condition()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = { condition, resolve };
        waiter.watch = stallWatch(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(stalled(`tap on ${exchange} ${pattern} (${events.length} message(s) so far)`, STALL_MS));
        });
        waiting.push(waiter);
      });
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
