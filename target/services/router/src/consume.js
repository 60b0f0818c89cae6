'use strict';

// The router's consumer of `router.transform` (transform.record events). A delivery is checked
// against its contract, then routed once per envelope id (a redelivery of a routed event is
// acknowledged without routing it again) and in the order it arrived relative to the tenant's
// other events. An event that does not match its contract is dead-lettered as `invalid-event`.

const {
  events: { idempotent, createRedisIdempotencyStore },
  contracts: { validateEnvelope },
  utils: { isDataNexusError },
} = require('../../../shared');
const { routerError } = require('./errors');
const { routingKeyOf } = require('./router');
const { createSequencer } = require('./sequencer');

const CONSUMED_TYPE = 'transform.record';

/** The route of a transform.record envelope; throws ROUTER_EVENT_INVALID for anything else. */
function routeOf(event) {
  const { valid, errors } = validateEnvelope(event);
  if (!valid || event.type !== CONSUMED_TYPE) {
    const why = valid ? `type ${event.type} is not ${CONSUMED_TYPE}` : errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw routerError('ROUTER_EVENT_INVALID', `event is not a ${CONSUMED_TYPE} envelope: ${why}`);
  }
  const tenantId = event.tenant_id;
  return { tenantId, eventId: event.id, key: routingKeyOf(event.data), envelope: event };
}

/**
 * What is recorded for an event that is not a valid envelope. Nothing in it can be trusted, its
 * tenant included, so it is kept for the platform operators (tenant '').
 */
function invalidRoute(event, msg) {
  const eventId = typeof event.id === 'string' && event.id !== '' ? event.id : String(msg.properties.messageId || '');
  return { tenantId: '', eventId, key: '', envelope: event };
}

/**
 * The handler of router.transform: `(event, msg, ctx) => Promise`. Each delivery it is done with
 * is announced on `emitter` (when given) once its outcome is stored: `'handled' { eventId, outcome }`
 * (outcome undefined for an event already routed) or `'failed' { eventId, err }` (the delivery
 * will be retried or dead-lettered by the consumer).
 * @param {object} deps
 * @param {object} deps.router router.js
 * @param {object} deps.deadLetters deadLetters.js
 * @param {object} deps.redis idempotency store
 * @param {number} deps.ttlMs how long a routed event id is remembered
 */
function createRecordHandler({ router, deadLetters, redis, ttlMs, emitter }) {
  const sequencer = createSequencer();
  const store = createRedisIdempotencyStore({ redis, namespace: 'idem:router' });
  const once = idempotent((event, msg, ctx) => ctx.work(), { store, ttlMs });

  function announce(eventId, work) {
    if (!emitter) return work;
    return work.then(
      (outcome) => {
        emitter.emit('handled', { eventId, outcome });
        return outcome;
      },
      (err) => {
        emitter.emit('failed', { eventId, err });
        throw err;
      },
    );
  }

  return function handleRecord(event, msg, ctx = {}) {
    const eventId = event && typeof event.id === 'string' ? event.id : undefined;
    return announce(eventId, routeDelivery(event, msg, ctx));
  };

  async function routeDelivery(event, msg, ctx) {
    let route;
    try {
      route = routeOf(event);
    } catch (err) {
      if (!isDataNexusError(err, 'ROUTER_EVENT_INVALID')) throw err;
      const dead = invalidRoute(event, msg);
      return once(event, msg, { ...ctx, work: () => deadLetters.add(dead, { reason: 'invalid-event', err }).then(() => ({ status: 'invalid' })) });
    }
    return sequencer.run(route.tenantId, () => once(event, msg, { ...ctx, work: () => router.route(route) }));
  }
}

module.exports = { createRecordHandler, routeOf, CONSUMED_TYPE };
