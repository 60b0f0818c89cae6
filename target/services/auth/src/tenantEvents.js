'use strict';

// Auth follows the tenant lifecycle published by admin: a suspended tenant's keys answer 403, a
// deleted tenant's keys are revoked for good. Status is kept in auth's own table so the verify
// path needs no call to admin.

const STATUS_BY_TYPE = Object.freeze({
  'tenant.created': 'active',
  'tenant.reactivated': 'active',
  'tenant.suspended': 'suspended',
  'tenant.deleted': 'deleted',
});

const TENANT_EVENT_TYPES = Object.freeze(Object.keys(STATUS_BY_TYPE));

/**
 * The effect of one event inside the consumer's transaction (`tx.query`).
 * @returns {Promise<{ tenantId: string, status: string, revoked: string[] } | null>}
 */
async function applyTenantEvent({ repo }, tx, event) {
  const status = STATUS_BY_TYPE[event.type];
  if (!status) return null;
  const tenantId = event.tenantId;
  const at = Date.parse(event.occurredAt);
  await repo.setTenantStatus(tx, tenantId, status, at);
  const revoked = status === 'deleted' ? await repo.revokeTenant(tx, tenantId, at) : [];
  return { tenantId, status, revoked };
}

/**
 * The consumer handler: effects and the processed-event record commit together (pg idempotency
 * store); the key cache is purged only after that commit, so a verify running meanwhile cannot
 * put the old state back into the cache.
 */
function createTenantEventHandler({ repo, cache, store, logger, onApplied }) {
  return async function handleTenantEvent(event) {
    const outcome = await store.run(String(event.id), async ({ tx }) => applyTenantEvent({ repo }, tx, event));
    if (outcome.duplicate) return;
    cache.purgeTenant(event.tenantId);
    if (outcome.result) logger.info({ event: 'auth.tenant_status', ...outcome.result, type: event.type }, 'tenant status applied');
    if (onApplied) onApplied(event, outcome.result);
  };
}

module.exports = { applyTenantEvent, createTenantEventHandler, TENANT_EVENT_TYPES, STATUS_BY_TYPE };
