'use strict';

// Aggregate booted for a test on the real servers, driven step by step: records go in through
// the ingress (the queue handler), `pump()` reads every partition until empty and advances, and
// what was published is recorded. Each harness has its own Redis prefix inside the namespace, so
// its watermark and windows are its own.

const { bootService } = require('../../../support/boot-service');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { recordingPublisher, tenantApi, windowsOf } = require('./fixtures');

let harnesses = 0;

/**
 * @param {object} ns the test file's namespace (databases pipeline + metrics)
 * @param {object} [options]
 * @param {object} [options.env] service env on top of the namespace's
 * @param {object} [options.clock]
 * @param {string} [options.prefix] reuse the Redis prefix of another harness (same state)
 * @param {object|null} [options.publisher] null: the service publishes to the broker itself
 * @param {object} [options.clients] clients to use instead of the service's own
 * @param {string} [options.consumerName] AGGREGATE_CONSUMER (default: one per harness)
 */
async function aggregateHarness(ns, { env = {}, clock = createFakeClock(Date.UTC(2024, 4, 1, 10)), prefix, publisher = recordingPublisher(), clients = {}, consumerName } = {}) {
  harnesses += 1;
  const redisPrefix = prefix || `${ns.env.REDIS_PREFIX}h${harnesses}:`;
  const service = await bootService('aggregate', {
    ns,
    clock,
    env: { AGGREGATE_PARTITIONS: '4', AGGREGATE_CONSUMER: consumerName || `test-${harnesses}`, ...env, REDIS_PREFIX: redisPrefix },
    clients: publisher ? { publisher, ...clients } : clients,
  });
  const parts = service.app.aggregateParts;
  return {
    service,
    parts,
    clock,
    publisher,
    prefix: redisPrefix,
    api: (tenantId, role) => tenantApi(service.app, tenantId, role),
    /** Appends the envelopes through the ingress, then pumps. */
    async feed(envelopes) {
      for (const e of envelopes) await parts.ingress.handleRouted(e);
      return parts.engine.pump();
    },
    emitted: () => (publisher ? publisher.published.map((p) => p.envelope) : []),
    windows(rollupId, seriesKey) {
      return windowsOf(publisher ? publisher.published.map((p) => p.envelope) : [], rollupId, seriesKey);
    },
    /** Redis keys of window state (hashes and event-id sets) under this harness' prefix. */
    async stateKeys() {
      const keys = [];
      for (const pattern of ['agg:w:*', 'agg:seen:*', 'agg:sess:*']) {
        let cursor = '0';
        do {
          const [next, found] = await service.redis.scan(cursor, 'MATCH', `${redisPrefix}${pattern}`, 'COUNT', 1000);
          cursor = next;
          keys.push(...found);
        } while (cursor !== '0');
      }
      return keys;
    },
    close: () => service.close(),
  };
}

module.exports = { aggregateHarness };
