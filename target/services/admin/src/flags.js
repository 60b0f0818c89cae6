'use strict';

const crypto = require('node:crypto');

// Feature flag evaluation for one tenant, in order: an explicit per-tenant override, then the
// percentage rollout, then the flag's default. The rollout bucket is a hash of flag and tenant,
// so a tenant stays in or out as the percentage grows (0..100), and flags roll out independently.

function rolloutBucket(flagKey, tenantId) {
  const digest = crypto.createHash('sha256').update(`${flagKey}\u0000${tenantId}`).digest();
  return digest.readUInt32BE(0) % 100;
}

/**
 * @param {{ key: string, enabled: boolean, rolloutPercent: number, overrides?: Record<string, boolean> }} flag
 * @returns {{ enabled: boolean, reason: 'override' | 'rollout' | 'default' }}
 */
function evaluateFlag(flag, tenantId) {
  const overrides = flag.overrides || {};
  if (Object.hasOwn(overrides, tenantId)) return { enabled: overrides[tenantId] === true, reason: 'override' };
  if (flag.rolloutPercent > 0 && rolloutBucket(flag.key, tenantId) < flag.rolloutPercent) return { enabled: true, reason: 'rollout' };
  return { enabled: flag.enabled === true, reason: 'default' };
}

module.exports = { evaluateFlag, rolloutBucket };
