'use strict';

const amqp = require('amqplib');

/**
 * Collects every event published on dn.events with a routing key matching `pattern`, in the
 * namespace's vhost, on a queue of its own (exclusive, gone when closed). `until(matches)` waits
 * for an event instead of polling for it.
 */
async function tapEvents(ns, pattern = 'tenant.#') {
  const conn = await amqp.connect(ns.env.AMQP_URL);
  const ch = await conn.createChannel();
  await ch.assertExchange('dn.events', 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, 'dn.events', pattern);
  const events = [];
  const waiting = [];
  conn.on('error', () => {});
  ch.on('error', () => {});
  await ch.consume(queue, (msg) => {
    if (msg === null) return; // consumer cancelled by the broker (vhost dropped)
    const event = JSON.parse(msg.content.toString('utf8'));
    events.push(event);
    ch.ack(msg);
    for (const waiter of waiting.filter((w) => w.matches(event))) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  });
  return {
    events,
    /** The first event (already received or still to come) for which `matches(event)` holds. */
    until(matches) {
      const seen = events.find(matches);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiting.push({ matches, resolve }));
    },
    async close() {
      await conn.close().catch(() => {});
    },
  };
}

module.exports = { tapEvents };
