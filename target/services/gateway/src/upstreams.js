'use strict';

const { gatewayError } = require('./errors');

// Addresses of upstream instances, looked up in the service registry and cached for `ttlMs`
// (gateway clock). Entries are also dropped as soon as a connection to one of their instances is
// refused, so a service that restarted on a new address is found again by the next call.

function createUpstreams({ registry, clock, ttlMs = 5000 }) {
  const cache = new Map();
  let lookups = 0;

  async function instancesOf(service) {
    const entry = cache.get(service);
    if (entry && clock.now() < entry.expiresAt) return entry.instances;
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
    /** Forgets what is known about `service`; the next resolve asks the registry again. */
    invalidate(service) {
      cache.delete(service);
    },
    stats() {
      return { lookups, cached: cache.size };
    },
  };
}

module.exports = { createUpstreams };
