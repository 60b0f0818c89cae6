'use strict';

// Registering a service's handler for one work queue of the topology table.

const { queueDefinition, exchangeFor, workQueueOptions } = require('./topology');
const { consume } = require('./consumer');

/**
 * Declares the queue and its bindings from the topology table, then consumes it.
 * Call after setupTopology() on the same connection: the retry and dead queues come from there.
 *
 * @param {import('amqplib').Channel} channel
 * @param {object} options
 * @param {string|object} options.queue a key of QUEUES or a queue definition
 * @param {string[]} [options.routingKeys] extra bindings (default: the table's)
 * @param {Function} options.handler `(event, msg, { attempt, queue }) => Promise`
 * @param {number} [options.prefetch]
 * @param {number} [options.maxAttempts]
 * @param {object} [options.logger]
 */
async function registerHandler(channel, { queue, routingKeys, handler, prefetch, maxAttempts, logger, onCancel }) {
  const def = queueDefinition(queue);
  // Declared here as well, so registering a handler never depends on what ran before it.
  const exchange = exchangeFor(def);
  await channel.assertExchange(exchange.name, 'topic', { durable: false });
  await channel.assertQueue(def.name, workQueueOptions(def));
  for (const routingKey of routingKeys || def.routingKeys) {
    await channel.bindQueue(def.name, exchange.name, routingKey);
  }
  return consume(channel, def.name, handler, { prefetch, maxAttempts, logger, onCancel });
}

module.exports = { registerHandler };
