'use strict';

// Routing one transform.record event: the tenant's subscriptions whose binding pattern matches the
// event's routing key each get a copy (fanout.js); an event with nowhere to go is dead-lettered
// with the reason. Replaying a dead letter runs the same steps again.

/**
 * The routing key of a transform.record event: its `name` (`checkout.completed`), whose
 * dot-separated parts are the words binding patterns match.
 */
function routingKeyOf(data) {
  return data.name;
}

/**
 * @param {object} deps
 * @param {object} deps.topics topics.js store
 * @param {object} deps.matcher match.js matcher
 * @param {object} deps.fanout fanout.js
 * @param {object} deps.deadLetters deadLetters.js
 */
function createRouter({ topics, matcher, fanout, deadLetters }) {
  const counts = { routed: 0, unroutable: 0, replayed: 0 };

  /**
   * @param {{ tenantId: string, eventId: string, key: string, envelope: object }} route
   * @returns {Promise<{ status: 'routed'|'unroutable', reason?: string, published?: string[], deadLettered?: string[] }>}
   */
  async function route(r) {
    const table = await topics.routingTable(r.tenantId);
    let reason = null;
    let matched = [];
    if (table.topics.size === 0) {
      reason = 'no-topic';
    } else {
      matched = matcher.select(table.subscriptions, r.key);
      if (matched.length === 0) reason = 'no-subscription';
    }
    if (reason) {
      await deadLetters.add(r, { reason });
      counts.unroutable += 1;
      return { status: 'unroutable', reason };
    }
    const outcome = await fanout.deliver(r, matched);
    counts.routed += 1;
    return { status: 'routed', ...outcome };
  }

  /** The route of a stored dead letter's envelope (already validated when it was recorded). */
  function routeOfDeadLetter(dead) {
    const envelope = dead.envelope;
    return { tenantId: dead.tenantId, eventId: dead.eventId, key: routingKeyOf(envelope.data || {}), envelope };
  }

  /**
   * Tries dead letters again: a subscriber's copy is published to that subscriber (if it still
   * exists), any other event is routed again. One that fails again stays open.
   * @returns {Promise<Array<{ id: string, replayed: boolean, reason?: string }>>}
   */
  async function replay(deadList) {
    const results = [];
    for (const dead of deadList) {
      let ok = false;
      let why;
      if (dead.reason === 'invalid-event') {
        why = 'invalid-event';
      } else if (dead.subscriptionId) {
        const table = await topics.routingTable(dead.tenantId);
        const sub = table.subscriptions.find((s) => s.id === dead.subscriptionId);
        if (!sub) {
          why = 'subscription-gone';
        } else {
          const outcome = await fanout.deliver(routeOfDeadLetter(dead), [sub]);
          ok = outcome.published.length === 1;
          if (!ok) why = 'publish-failed';
        }
      } else {
        const outcome = await route(routeOfDeadLetter(dead));
        ok = outcome.status === 'routed';
        if (!ok) why = outcome.reason;
      }
      if (ok) {
        await deadLetters.markReplayed(dead.id);
        counts.replayed += 1;
      }
      results.push(ok ? { id: dead.id, replayed: true } : { id: dead.id, replayed: false, reason: why });
    }
    return results;
  }

  function stats() {
    const m = matcher.stats();
    return {
      ...counts,
      ...fanout.stats(),
      patternsCompiled: m.compiled,
      patternsCached: m.cached,
      tableLoads: topics.stats().loads,
    };
  }

  return { route, replay, stats };
}

module.exports = { createRouter, routingKeyOf };
