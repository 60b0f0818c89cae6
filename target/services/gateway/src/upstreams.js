'use strict';

const { gatewayError } = require('./errors');

// Addresses of upstream instances, looked up in the service registry and cached per service.

function createUpstreams({ registry, clock, ttlMs = 5000 }) {
  const cache = new Map();
  let lookups = 0;

  async function instancesOf(service) {
    const entry = cache.get(service);
    if (entry) return entry.instances;
    lookups += 1;
    const instances = await registry.lookup(service);
    cache.set(service, { instances, expiresAt: clock.now() + ttlMs, next: entry ? entry.next : 0 });
    return instances;
  }

  return {
    /** Picks an instance of `service` round-robin; throws UPSTREAM_UNAVAILABLE when none is registered. */
    async resolve(service) {
      const instances = await instancesOf(service);
      if (!instances || instances.length === 0) {
        throw gatewayError('GATEWAY_NO_UPSTREAM', `no registered instance of ${service}`, { service });
      }
      const entry = cache.get(service);
      const index = entry.next % instances.length;
      entry.next = index + 1;
      return instances[index];
    },
    /** Starts the round robin of `service` over from its first instance. */
    invalidate(service) {
      if (cache.has(service)) cache.get(service).next = 0;
    },
    stats() {
      return { lookups, cached: cache.size };
    },
  };
}

module.exports = { createUpstreams };
