'use strict';

// Consuming a work queue with manual acknowledgements. A delivery is acked once its handler has
// finished; a failed delivery goes round the retry queue (`<queue>.retry`) and, after its last
// attempt, ends in dn.dlx (`<queue>.dead`).

const { silentLogger } = require('../utils/logger');
const { EXCHANGES, retryQueueName } = require('./topology');
const { decode } = require('./envelope');
const { eventError } = require('./errors');

// Number of failed deliveries so far, carried on the message itself so the count survives
// reconnects, redeliveries to another consumer and service restarts.
const ATTEMPTS_HEADER = 'x-attempts';

/** How many times this message has failed in `queue` before this delivery. */
function failedAttempts(msg, queue) {
  const headers = (msg.properties && msg.properties.headers) || {};
  const counted = Number(headers[ATTEMPTS_HEADER]);
  if (Number.isInteger(counted) && counted > 0) return counted;
  // A message that went round the retry queue without our header (moved there by hand or by an
  // older producer) still carries the broker's x-death record of each expiry there.
  let expired = 0;
  for (const death of Array.isArray(headers['x-death']) ? headers['x-death'] : []) {
    if (death && death.queue === retryQueueName(queue)) expired += Number(death.count) || 0;
  }
  return expired;
}

// The properties a copy of the delivery is republished with. `userId` is left out: the broker
// checks it against the publishing connection's user.
function republishOptions(properties, headers) {
  return {
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    headers,
    deliveryMode: properties.deliveryMode,
    priority: properties.priority,
    correlationId: properties.correlationId,
    replyTo: properties.replyTo,
    expiration: properties.expiration,
    messageId: properties.messageId,
    timestamp: properties.timestamp,
    type: properties.type,
    appId: properties.appId,
  };
}

/**
 * Starts consuming `queue` on `channel`.
 *
 * The handler is called as `handler(event, msg, { attempt, queue })` with the decoded JSON body.
 * It acknowledges by resolving; it fails by throwing. An error with `retryable === false` skips the
 * remaining attempts.
 *
 * @param {import('amqplib').Channel} channel
 * @param {string} queue a work queue declared by setupTopology (it needs its retry queue)
 * @param {(event: object, msg: object, ctx: { attempt: number, queue: string }) => Promise<unknown>} handler
 * @param {object} [options]
 * @param {number} [options.maxAttempts] deliveries before dead-lettering (default 3)
 * @param {number} [options.prefetch] unacked deliveries this consumer may hold
 * @param {object} [options.logger]
 * @param {(msg: object) => void} [options.onCancel] the broker cancelled the consumer (queue deleted)
 * @returns {Promise<{ consumerTag: string, queue: string, inFlight(): number, cancel(): Promise<void> }>}
 */
async function consume(channel, queue, handler, options = {}) {
  const { maxAttempts = 3, prefetch, logger = silentLogger, onCancel } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw eventError('DN_EVENTS_OPTIONS_INVALID', `maxAttempts must be a positive integer, got ${JSON.stringify(maxAttempts)}`);
  }
  if (typeof handler !== 'function') {
    throw eventError('DN_EVENTS_OPTIONS_INVALID', `handler for queue "${queue}" must be a function, got ${typeof handler}`);
  }
  const inFlight = new Set();

  // ack/nack on a channel that closed meanwhile throws; the broker has already put the delivery
  // back for redelivery, so there is nothing left to settle.
  function settle(action, msg, fn) {
    try {
      fn();
    } catch (err) {
      logger.warn({ queue, action, messageId: msg.properties.messageId, err }, 'could not settle delivery; the broker will redeliver it');
    }
  }

  function deadLetter(msg, reason, err) {
    logger.error({ queue, reason, messageId: msg.properties.messageId, err }, 'delivery dead-lettered');
    settle('nack', msg, () => channel.nack(msg));
  }

  function retry(msg, attempt, err) {
    logger.warn({ queue, attempt, maxAttempts, messageId: msg.properties.messageId, err }, 'handler failed; delivery will be retried');
    const headers = { ...(msg.properties.headers || {}), [ATTEMPTS_HEADER]: attempt };
    // Publish and ack travel on the same channel in this order, so the copy is with the broker
    // before the original is released.
    settle('retry', msg, () => {
      channel.publish(EXCHANGES.retry.name, retryQueueName(queue), msg.content, republishOptions(msg.properties, headers));
      channel.ack(msg);
    });
  }

  async function deliver(msg) {
    const attempt = failedAttempts(msg, queue) + 1;
    let event;
    try {
      event = decode(msg.content);
    } catch (err) {
      deadLetter(msg, 'undecodable', err);
      return;
    }
    try {
      await handler(event, msg, { attempt, queue });
    } catch (err) {
      if ((err && err.retryable === false) || attempt >= maxAttempts) {
        deadLetter(msg, attempt >= maxAttempts ? 'attempts exhausted' : 'not retryable', err);
      } else {
        retry(msg, attempt, err);
      }
      return;
    }
    settle('ack', msg, () => channel.ack(msg));
  }

  if (prefetch !== undefined) await channel.prefetch(prefetch);
  const { consumerTag } = await channel.consume(
    queue,
    (msg) => {
      if (msg === null) {
        logger.warn({ queue }, 'consumer cancelled by the broker');
        if (onCancel) onCancel(msg);
        return;
      }
      const task = deliver(msg).finally(() => inFlight.delete(task));
      inFlight.add(task);
    },
    { noAck: false },
  );

  return {
    consumerTag,
    queue,
    inFlight: () => inFlight.size,
    /** Stops new deliveries, then waits for the handlers already running. */
    async cancel() {
      try {
        await channel.cancel(consumerTag);
      } catch (err) {
        logger.debug({ queue, err }, 'cancel on a closed channel');
      }
      await Promise.allSettled([...inFlight]);
    },
  };
}

module.exports = { consume, failedAttempts, ATTEMPTS_HEADER };
