'use strict';

// Fan-out: one routed copy of an event per matching subscription, published as `router.routed`
// on dn.events. A copy's publish is tried up to `attempts` times; a copy that still fails is
// dead-lettered for its subscription. A broker that is gone is different: nothing can be
// published, so the whole delivery fails and the broker hands the event over again. Subscribers
// already served are remembered per event, so that second delivery publishes only what is missing.

const crypto = require('node:crypto');
const { utils: { isDataNexusError } } = require('../../../shared');

const ROUTED_TYPE = 'router.routed';
const BROKER_GONE = ['DN_AMQP_UNAVAILABLE', 'DN_AMQP_CLOSED', 'DN_EVENTS_PUBLISH_CLOSED'];

function brokerGone(err) {
  return BROKER_GONE.some((code) => isDataNexusError(err, code));
}

/** The copy's id: the same for every delivery of one event to one subscription. */
function routedId(eventId, subscriptionId) {
  return `rt-${crypto.createHash('sha256').update(`${eventId}\u0000${subscriptionId}`).digest('hex').slice(0, 40)}`;
}

/** The value of a subscription's key field in an event's data (`properties.userId`), as a string. */
function orderingKeyOf(data, keyField) {
  let value = data;
  for (const part of keyField.split('.')) {
    value = value !== null && typeof value === 'object' && Object.hasOwn(value, part) ? value[part] : undefined;
  }
  return value === undefined || value === null ? '' : String(value);
}

function routedEnvelope(route, sub) {
  const { envelope } = route;
  const data = {
    subscriptionId: sub.id,
    topic: sub.topic,
    routingKey: route.key,
    sourceEventId: envelope.id,
    record: envelope.data,
  };
  if (sub.ordered) data.orderingKey = orderingKeyOf(envelope.data, sub.keyField);
  return {
    id: routedId(envelope.id, sub.id),
    type: ROUTED_TYPE,
    version: 1,
    occurredAt: envelope.occurredAt,
    tenantId: route.tenantId,
    data,
  };
}

/**
 * @param {object} deps
 * @param {{ publish(routingKey, envelope, options): Promise }} deps.publisher
 * @param {{ has(eventId, subId): Promise<boolean>, add(eventId, subId): Promise }} deps.sent
 * @param {{ add(route, what): Promise }} deps.deadLetters
 * @param {number} [deps.attempts] publishes per subscriber per delivery
 * @param {object} [deps.logger]
 */
function createFanout({ publisher, sent, deadLetters, attempts = 3, logger }) {
  let published = 0;
  let publishFailures = 0;

  async function deliverOne(route, sub) {
    if (await sent.has(route.eventId, sub.id)) return;
    const copy = routedEnvelope(route, sub);
    const headers = { 'x-subscription-id': sub.id };
    if (sub.ordered) headers['x-ordering-key'] = copy.data.orderingKey;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await publisher.publish(ROUTED_TYPE, copy, { headers });
        break;
      } catch (err) {
        publishFailures += 1;
        if (brokerGone(err) || attempt >= attempts) throw err;
        if (logger) logger.warn({ subscriptionId: sub.id, eventId: route.eventId, attempt, err }, 'publish failed; trying again');
      }
    }
    published += 1;
    await sent.add(route.eventId, sub.id);
  }

  /**
   * Delivers `route` to every subscription of `subs`, in order.
   * @returns {Promise<{ published: string[], deadLettered: string[] }>} subscription ids
   */
  async function deliver(route, subs) {
    const outcome = { published: [], deadLettered: [] };
    let sub;
    try {
      for (sub of subs) {
        await deliverOne(route, sub);
        outcome.published.push(sub.id);
      }
    } catch (err) {
      if (brokerGone(err)) throw err;
      await deadLetters.add(route, { reason: 'publish-failed', subscriptionId: sub.id, err });
      outcome.deadLettered.push(sub.id);
    }
    return outcome;
  }

  return { deliver, stats: () => ({ published, publishFailures }) };
}

/** Which subscribers of an event were served, in Redis, for `ttlMs`. */
function createSentLog({ redis, ttlMs }) {
  const keyOf = (eventId) => `router:sent:${eventId}`;
  return {
    async has(eventId, subscriptionId) {
      return (await redis.sismember(keyOf(eventId), subscriptionId)) === 1;
    },
    async add(eventId, subscriptionId) {
      await redis.multi().sadd(keyOf(eventId), subscriptionId).pexpire(keyOf(eventId), ttlMs).exec();
    },
  };
}

module.exports = { createFanout, createSentLog, routedEnvelope, routedId, orderingKeyOf, brokerGone, ROUTED_TYPE };
