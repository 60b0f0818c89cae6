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
  // The exchange is declared with the table's type and options: any other argument is an
  // inequivalent declaration, which the broker answers by closing the channel.
  const exchange = exchangeFor(def);
  await channel.assertExchange(exchange.name, exchange.type, { ...exchange.options });
  await channel.assertQueue(def.name, workQueueOptions(def));
  for (const routingKey of routingKeys || def.routingKeys) {
    await channel.bindQueue(def.name, exchange.name, routingKey);
  }
  return consume(channel, def.name, handler, { prefetch, maxAttempts, logger, onCancel });
}

module.exports = { registerHandler };
