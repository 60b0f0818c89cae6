'use strict';

// Domain events over RabbitMQ: topology, publishing with confirms, consuming with bounded retries
// and dead-lettering, idempotent handlers.

const topology = require('./topology');
const { registerHandler } = require('./handlers');
const { consume, failedAttempts, ATTEMPTS_HEADER } = require('./consumer');
const { createPublisher } = require('./publisher');
const { idempotent, createRedisIdempotencyStore, createPgIdempotencyStore } = require('./idempotent');
const { createEnvelope, assertEnvelope, decode, encode } = require('./envelope');
const { EVENT_ERRORS } = require('./errors');
const { createRelayRunner } = require('./outbox-relay');

/**
 * Subscribes a handler to a work queue for the lifetime of a rabbit client: the topology and the
 * consumer are set up through `rabbit.addSetup`, so they are declared again and the consumer is
 * re-attached on every reconnect (a new connection starts with no consumers at all).
 *
 * @param {object} options
 * @param {object} options.rabbit client from clients/rabbit.js
 * @param {string|object} options.queue a key of QUEUES or a queue definition
 * @param {string[]} [options.routingKeys]
 * @param {Function} options.handler `(event, msg, { attempt, queue }) => Promise`
 * @param {number} [options.prefetch]
 * @param {number} [options.maxAttempts]
 * @param {object} [options.logger]
 * @returns {Promise<{ consumerTag(): string|undefined, cancel(): Promise<void> }>}
 */
async function subscribe({ rabbit, queue, routingKeys, handler, prefetch, maxAttempts, logger }) {
  let current = null;
  let cancelled = false;
  async function setup(channel) {
    if (cancelled) return;
    await topology.setupTopology(channel, { queues: [queue] });
    current = await registerHandler(channel, { queue, routingKeys, handler, prefetch, maxAttempts, logger });
  }
  await rabbit.addSetup(setup);
  return {
    consumerTag: () => (current ? current.consumerTag : undefined),
    async cancel() {
      cancelled = true;
      if (typeof rabbit.removeSetup === 'function') rabbit.removeSetup(setup);
      if (current) await current.cancel();
    },
  };
}

module.exports = {
  ...topology,
  registerHandler,
  consume,
  failedAttempts,
  ATTEMPTS_HEADER,
  createPublisher,
  createRelayRunner,
  idempotent,
  createRedisIdempotencyStore,
  createPgIdempotencyStore,
  createEnvelope,
  assertEnvelope,
  decode,
  encode,
  subscribe,
  EVENT_ERRORS,
};
