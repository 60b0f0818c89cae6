'use strict';

// The RabbitMQ topology of the platform: exchanges, work queues, and the retry and dead queue of
// each work queue.

const { eventError } = require('./errors');

const EXCHANGES = deepFreeze({
  // Domain events, routed by event type (`ingestion.accepted`, `usage.recorded`, ...).
  events: { name: 'dn.events', type: 'topic', options: { durable: true } },
  // Work items for the task workers, routed by task kind.
  tasks: { name: 'dn.tasks', type: 'direct', options: { durable: true } },
  // Failed deliveries waiting for another attempt; routing key is the work queue's name.
  retry: { name: 'dn.retry', type: 'direct', options: { durable: true } },
  // Deliveries that used up their attempts (or can never succeed); routing key is the work queue's name.
  dlx: { name: 'dn.dlx', type: 'topic', options: { durable: true } },
});

const DEFAULT_RETRY_DELAY_MS = 5000;

// Work queues of the platform. `exchange` is a key of EXCHANGES. Each work queue gets a retry queue
// (`<name>.retry`, holds a failed delivery for `retryDelayMs` and then hands it back) and a dead
// queue (`<name>.dead`, where deliveries end after their last attempt, for inspection and replay).
const QUEUES = deepFreeze({
  'router.ingestion': { exchange: 'events', routingKeys: ['ingestion.accepted'] },
  'transform.ingestion': { exchange: 'events', routingKeys: ['ingestion.record'] },
  'router.transform': { exchange: 'events', routingKeys: ['transform.record'] },
  'alerts.metrics': { exchange: 'events', routingKeys: ['metrics.#'] },
  'billing.usage': { exchange: 'events', routingKeys: ['usage.#'] },
  'connectors.sinks': { exchange: 'events', routingKeys: ['router.routed'] },
  'aggregate.routed': { exchange: 'events', routingKeys: ['router.routed'] },
  // A window the store could not write (database away) is tried again soon: rollups are read live.
  'store.rollups': { exchange: 'events', routingKeys: ['aggregate.window.closed'], retryDelayMs: 1000 },
  'admin.tenants': { exchange: 'events', routingKeys: ['tenant.#'] },
  'workers.tasks': { exchange: 'tasks', routingKeys: ['task.requested'], retryDelayMs: 10000 },
  'scheduler.results': { exchange: 'events', routingKeys: ['task.completed', 'task.failed'] },
});

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function retryQueueName(queue) {
  return `${queue}.retry`;
}

function deadQueueName(queue) {
  return `${queue}.dead`;
}

/**
 * Resolves a queue given by name (a key of QUEUES) or by a full definition
 * `{ name, exchange, routingKeys, retryDelayMs }` (queues created at runtime, tests).
 */
function queueDefinition(queue) {
  if (typeof queue === 'string') {
    const known = QUEUES[queue];
    if (!known) {
      throw eventError('DN_EVENTS_UNKNOWN_QUEUE', `queue "${queue}" is not in the topology table; known: ${Object.keys(QUEUES).join(', ')}`, {
        details: { queue },
      });
    }
    return normalize({ name: queue, ...known });
  }
  if (!queue || typeof queue !== 'object' || typeof queue.name !== 'string' || queue.name === '') {
    throw eventError('DN_EVENTS_QUEUE_INVALID', `expected a queue name or a definition with a name, got ${JSON.stringify(queue)}`);
  }
  return normalize(queue);
}

function normalize(def) {
  const exchange = def.exchange || 'events';
  if (!EXCHANGES[exchange]) {
    throw eventError('DN_EVENTS_UNKNOWN_EXCHANGE', `queue "${def.name}" names exchange "${exchange}"; expected one of ${Object.keys(EXCHANGES).join(', ')}`, {
      details: { queue: def.name, exchange },
    });
  }
  const retryDelayMs = def.retryDelayMs === undefined ? DEFAULT_RETRY_DELAY_MS : def.retryDelayMs;
  if (!Number.isInteger(retryDelayMs) || retryDelayMs < 0) {
    throw eventError('DN_EVENTS_QUEUE_INVALID', `queue "${def.name}": retryDelayMs must be a non-negative integer, got ${JSON.stringify(def.retryDelayMs)}`);
  }
  return Object.freeze({
    name: def.name,
    exchange,
    routingKeys: Object.freeze([...(def.routingKeys || [])]),
    retryDelayMs,
  });
}

function exchangeFor(def) {
  return EXCHANGES[def.exchange];
}

// Work queues dead-letter into dn.dlx under their own name, so a delivery rejected without requeue
// lands in `<name>.dead` with an `x-death` record of where it came from.
function workQueueOptions(def) {
  return {
    durable: true,
    arguments: {
      'x-dead-letter-exchange': EXCHANGES.dlx.name,
      'x-dead-letter-routing-key': def.name,
    },
  };
}

// A retry queue has no consumers: a message expires after the delay and the broker dead-letters it
// through the default exchange straight back into the work queue.
function retryQueueOptions(def) {
  return {
    durable: true,
    arguments: {
      'x-message-ttl': def.retryDelayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': def.name,
    },
  };
}

function deadQueueOptions() {
  return { durable: true };
}

async function assertExchanges(channel) {
  for (const exchange of Object.values(EXCHANGES)) {
    await channel.assertExchange(exchange.name, exchange.type, { ...exchange.options });
  }
}

/** Declares one work queue with its retry and dead queues and all their bindings. */
async function assertWorkQueue(channel, def) {
  const exchange = exchangeFor(def);
  await channel.assertQueue(def.name, workQueueOptions(def));
  for (const routingKey of def.routingKeys) {
    await channel.bindQueue(def.name, exchange.name, routingKey);
  }
  await channel.assertQueue(retryQueueName(def.name), retryQueueOptions(def));
  await channel.bindQueue(retryQueueName(def.name), EXCHANGES.retry.name, def.name);
  await channel.assertQueue(deadQueueName(def.name), deadQueueOptions());
  await channel.bindQueue(deadQueueName(def.name), EXCHANGES.dlx.name, def.name);
}

/**
 * Declares each work queue with its bindings, and the exchanges, one awaited RPC at a time.
 * @param {import('amqplib').Channel} channel
 * @param {{ queues?: Array<string|object> }} [options] queues to declare (default: all of QUEUES)
 * @returns {Promise<object[]>} the normalized queue definitions that were declared
 */
async function setupTopology(channel, { queues = Object.keys(QUEUES) } = {}) {
  const defs = queues.map(queueDefinition);
  for (const def of defs) {
    await assertWorkQueue(channel, def);
  }
  await assertExchanges(channel);
  return defs;
}

module.exports = {
  EXCHANGES,
  QUEUES,
  DEFAULT_RETRY_DELAY_MS,
  setupTopology,
  assertExchanges,
  assertWorkQueue,
  queueDefinition,
  exchangeFor,
  workQueueOptions,
  retryQueueOptions,
  deadQueueOptions,
  retryQueueName,
  deadQueueName,
};
