'use strict';

// Publishing events with publisher confirms. `publish` resolves only once the broker has taken
// responsibility for the message (basic.ack on a confirm channel); a nack or a channel that closes
// first rejects, so a caller such as an outbox relay can keep the row and try again. Returning as
// soon as `channel.publish()` has written to the socket would report success for messages the
// broker never stored.

const { systemClock } = require('../utils/clock');
const { ERRORS, createError } = require('../utils/errors');
const { EXCHANGES } = require('./topology');
const { createEnvelope, assertEnvelope, looksLikeEnvelope, encode } = require('./envelope');
const { eventError } = require('./errors');

function exchangeName(exchange) {
  if (exchange === undefined) return EXCHANGES.events.name;
  return EXCHANGES[exchange] ? EXCHANGES[exchange].name : exchange;
}

function confirmed(channel, exchange, routingKey, content, options) {
  return new Promise((resolve, reject) => {
    const done = (err) => {
      if (!err) return resolve();
      if (/nack/i.test(err.message)) {
        reject(createError(ERRORS.DN_AMQP_NACK, `broker nacked message ${options.messageId} to ${exchange}/${routingKey}`, { cause: err, details: { messageId: options.messageId } }));
      } else {
        reject(eventError('DN_EVENTS_PUBLISH_CLOSED', `channel closed before message ${options.messageId} to ${exchange}/${routingKey} was confirmed`, { cause: err, details: { messageId: options.messageId } }));
      }
    };
    try {
      channel.publish(exchange, routingKey, content, options, done);
    } catch (err) {
      // A channel that is already closed throws synchronously.
      done(err);
    }
  });
}

/**
 * @param {object} deps
 * @param {{ confirmChannel(): any }} deps.rabbit the shared rabbit client (clients/rabbit.js)
 * @param {{ now(): number }} [deps.clock]
 * @param {() => string} [deps.idFactory] event ids (default: random UUIDs)
 * @param {string} [deps.appId] written into the AMQP `appId` property (the producing service)
 */
function createPublisher({ rabbit, clock = systemClock, idFactory, appId } = {}) {
  if (!rabbit || typeof rabbit.confirmChannel !== 'function') {
    throw eventError('DN_EVENTS_OPTIONS_INVALID', 'createPublisher needs a rabbit client with confirmChannel()');
  }

  /**
   * @param {string} routingKey on dn.events this is the event type
   * @param {object} payload a complete envelope, or `{ tenantId, data, version?, occurredAt?, correlationId? }`
   *   from which one is built with `type = routingKey`
   * @param {object} [options]
   * @param {string} [options.messageId] the event id (default: generated)
   * @param {object} [options.headers] extra AMQP headers
   * @param {string} [options.exchange] an EXCHANGES key or exchange name (default dn.events)
   * @returns {Promise<object>} the envelope, once the broker confirmed it
   */
  async function publish(routingKey, payload, options = {}) {
    let envelope;
    if (looksLikeEnvelope(payload)) {
      envelope = assertEnvelope(payload);
      if (options.messageId !== undefined && options.messageId !== envelope.id) {
        throw eventError('DN_EVENTS_OPTIONS_INVALID', `messageId ${options.messageId} differs from the envelope id ${envelope.id}`);
      }
    } else {
      envelope = createEnvelope({ ...payload, type: payload && payload.type !== undefined ? payload.type : routingKey, id: options.messageId }, { clock, idFactory });
    }
    const channel = await rabbit.confirmChannel();
    const exchange = exchangeName(options.exchange);
    await confirmed(channel, exchange, routingKey, encode(envelope), {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.id,
      type: envelope.type,
      timestamp: Math.floor(Date.parse(envelope.occurredAt) / 1000),
      appId,
      headers: { ...(options.headers || {}), 'x-tenant-id': envelope.tenantId },
    });
    return envelope;
  }

  return { publish };
}

module.exports = { createPublisher };
