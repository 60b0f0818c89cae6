'use strict';

const { subscribe } = require('../events');

/**
 * Subscribes `handler` to one of the service's work queues for as long as the service runs: the
 * subscription is cancelled when the service stops. For use in a `defineService` spec's
 * `consumers({ clients, logger, onStop })`.
 * @param {{ clients: { rabbit: object }, logger: object, onStop: Function }} ctx
 * @param {{ queue: string|object, handler: Function, prefetch?: number, maxAttempts?: number }} subscription
 */
async function consumeQueue({ clients, logger, onStop }, { queue, handler, prefetch, maxAttempts }) {
  const subscription = await subscribe({ rabbit: clients.rabbit, queue, handler, prefetch, maxAttempts, logger });
  onStop(() => subscription.cancel());
  return subscription;
}

module.exports = { consumeQueue };
