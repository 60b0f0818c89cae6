'use strict';

// How long a deleted tenant's data is kept before it is purged, by plan. During that time the
// deletion can be inspected (audit, support) and the data exported; after it, purge removes it.
const DAY_MS = 24 * 60 * 60 * 1000;
const RETENTION_DAYS = Object.freeze({ free: 7, pro: 30, enterprise: 90 });
const PLANS = Object.freeze(Object.keys(RETENTION_DAYS));

/** The instant (ms) from which a tenant deleted at `deletedAtMs` may be purged. */
function purgeAfter(deletedAtMs, plan) {
  const days = RETENTION_DAYS[plan];
  if (days === undefined) throw new TypeError(`unknown plan ${JSON.stringify(plan)}; expected ${PLANS.join('/')}`);
  return deletedAtMs + days * DAY_MS;
}

/** A deleted tenant is due for purge once its retention has fully elapsed and no legal hold applies. */
function isPurgeDue(tenant, nowMs) {
  return tenant.status === 'deleted' && !tenant.legalHold && tenant.purgeAfter !== null && nowMs >= tenant.purgeAfter;
}

module.exports = { purgeAfter, isPurgeDue, RETENTION_DAYS, PLANS, DAY_MS };
