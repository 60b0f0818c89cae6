'use strict';

// Positive cache of key verifications, so the gateway's per-request verify call does not hit
// PostgreSQL every time. It keeps the secret's digest, not a verdict: a hit is still checked
// against the presented secret. Entries expire after `ttlMs` on the service clock, and are
// purged on revocation, rotation and tenant status changes.

function createKeyCache({ clock, ttlMs = 30000, maxEntries = 10000 }) {
  const entries = new Map(); // keyId -> { digest, principal, expiresAt }
  let hits = 0;
  let misses = 0;

  return {
    get(keyId) {
      const entry = entries.get(keyId);
      if (!entry) {
        misses += 1;
        return null;
      }
      if (clock.now() >= entry.expiresAt) {
        entries.delete(keyId);
        misses += 1;
        return null;
      }
      hits += 1;
      return entry;
    },
    set(keyId, { digest, principal }) {
      if (!entries.has(keyId) && entries.size >= maxEntries) entries.delete(entries.keys().next().value);
      entries.set(keyId, { digest, principal, expiresAt: clock.now() + ttlMs });
    },
    purge(keyId) {
      entries.delete(keyId);
    },
    purgeTenant(tenantId) {
      for (const [keyId, entry] of entries) if (entry.principal.tenantId === tenantId) entries.delete(keyId);
    },
    clear() {
      entries.clear();
    },
    stats() {
      return { size: entries.size, hits, misses };
    },
  };
}

module.exports = { createKeyCache };
