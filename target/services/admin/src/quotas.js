'use strict';

// Per-tenant quotas: a limit per named resource, defaulted by plan, overridable per tenant.
const DEFAULT_QUOTAS = Object.freeze({
  free: Object.freeze({ 'events.daily': 100000, pipelines: 3, dashboards: 5, 'api_keys': 2 }),
  pro: Object.freeze({ 'events.daily': 10000000, pipelines: 50, dashboards: 100, 'api_keys': 20 }),
  enterprise: Object.freeze({ 'events.daily': 1000000000, pipelines: 1000, dashboards: 5000, 'api_keys': 500 }),
});
const QUOTA_NAMES = Object.freeze(Object.keys(DEFAULT_QUOTAS.free));

/** Plan defaults with the tenant's overrides on top. Unknown names in overrides are ignored. */
function effectiveQuotas(plan, overrides = {}) {
  const base = DEFAULT_QUOTAS[plan];
  if (!base) throw new TypeError(`unknown plan ${JSON.stringify(plan)}`);
  const out = Object.create(null);
  for (const name of QUOTA_NAMES) out[name] = Object.hasOwn(overrides, name) ? overrides[name] : base[name];
  return out;
}

/**
 * Can `amount` more be used? Exact integer arithmetic; a request that would cross the limit is
 * refused whole (no partial grant).
 */
function checkQuota(limit, used, amount) {
  if (!Number.isSafeInteger(amount) || amount < 1) throw new TypeError(`amount must be a positive integer, got ${amount}`);
  const allowed = used + amount <= limit;
  return { allowed, remaining: Math.max(0, limit - (allowed ? used + amount : used)) };
}

module.exports = { DEFAULT_QUOTAS, QUOTA_NAMES, effectiveQuotas, checkQuota };
