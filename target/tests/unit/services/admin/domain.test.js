'use strict';

const { purgeAfter, isPurgeDue, DAY_MS } = require('../../../../services/admin/src/retention');
const { effectiveQuotas, checkQuota, QUOTA_NAMES } = require('../../../../services/admin/src/quotas');
const { evaluateFlag, rolloutBucket } = require('../../../../services/admin/src/flags');
const { tenantEvent } = require('../../../../services/admin/src/events');
const { encodeCursor, decodeCursor } = require('../../../../services/admin/src/tenants');
const { ADMIN_ERRORS } = require('../../../../services/admin/src/errors');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('retention rules', () => {
  test('retention depends on the plan', () => {
    expect(purgeAfter(0, 'free')).toBe(7 * DAY_MS);
    expect(purgeAfter(0, 'pro')).toBe(30 * DAY_MS);
    expect(purgeAfter(0, 'enterprise')).toBe(90 * DAY_MS);
    expect(() => purgeAfter(0, 'gold')).toThrow(/unknown plan/);
  });

  test('a tenant is due exactly when its retention has elapsed', () => {
    const tenant = { status: 'deleted', legalHold: false, purgeAfter: 1000 };
    expect(isPurgeDue(tenant, 999)).toBe(false);
    expect(isPurgeDue(tenant, 1000)).toBe(true);
  });

  test('a legal hold or a live tenant is never due', () => {
    expect(isPurgeDue({ status: 'deleted', legalHold: true, purgeAfter: 0 }, 10)).toBe(false);
    expect(isPurgeDue({ status: 'suspended', legalHold: false, purgeAfter: 0 }, 10)).toBe(false);
  });
});

describe('quota math', () => {
  test('plan defaults with per-tenant overrides on top', () => {
    const q = effectiveQuotas('free', { pipelines: 10, bogus: 5 });
    expect(q.pipelines).toBe(10);
    expect(q.dashboards).toBe(5);
    expect(Object.keys(q)).toEqual(QUOTA_NAMES);
  });

  test('inherited keys in overrides are ignored', () => {
    const overrides = JSON.parse('{"__proto__": {"pipelines": 99999}}');
    expect(effectiveQuotas('free', overrides).pipelines).toBe(3);
  });

  test('a request that would cross the limit is refused whole', () => {
    expect(checkQuota(10, 7, 3)).toEqual({ allowed: true, remaining: 0 });
    expect(checkQuota(10, 7, 4)).toEqual({ allowed: false, remaining: 3 });
    expect(() => checkQuota(10, 0, 0)).toThrow(/positive/);
  });
});

describe('feature flags', () => {
  const flag = { key: 'new-ui', enabled: false, rolloutPercent: 0, overrides: { 't-on': true, 't-off': false } };

  test('an override wins over rollout and default', () => {
    expect(evaluateFlag({ ...flag, enabled: true }, 't-off')).toEqual({ enabled: false, reason: 'override' });
    expect(evaluateFlag(flag, 't-on')).toEqual({ enabled: true, reason: 'override' });
    expect(evaluateFlag(flag, 't-other')).toEqual({ enabled: false, reason: 'default' });
  });

  test('rollout is stable per tenant and grows monotonically with the percentage', () => {
    const tenants = Array.from({ length: 200 }, (_, i) => `t-${i}`);
    const enabledAt = (p) => new Set(tenants.filter((t) => evaluateFlag({ ...flag, overrides: {}, rolloutPercent: p }, t).enabled));
    const at10 = enabledAt(10);
    const at50 = enabledAt(50);
    for (const t of at10) expect(at50.has(t)).toBe(true);
    expect(enabledAt(100).size).toBe(200);
    expect(enabledAt(0).size).toBe(0);
    expect(at50.size).toBeGreaterThan(60);
    expect(at50.size).toBeLessThan(140);
  });

  test('buckets differ between flags', () => {
    const same = Array.from({ length: 50 }, (_, i) => rolloutBucket('a', `t${i}`) === rolloutBucket('b', `t${i}`)).filter(Boolean).length;
    expect(same).toBeLessThan(10);
  });
});

describe('tenant events and cursors', () => {
  test('events are validated against the published schema', () => {
    const clock = createFakeClock(Date.UTC(2024, 4, 1));
    const env = tenantEvent('tenant.suspended', 't1', { reason: 'overdue', actor: 'key:K' }, { clock, idFactory: () => '00000000-0000-4000-8000-000000000001' });
    expect(env).toEqual({ id: '00000000-0000-4000-8000-000000000001', type: 'tenant.suspended', version: 1, occurredAt: '2024-05-01T00:00:00.000Z', tenantId: 't1', data: { reason: 'overdue', actor: 'key:K' } });
    expect(() => tenantEvent('tenant.suspended', 't1', { actor: 'key:K' }, { clock })).toThrow(/reason/);
    expect(() => tenantEvent('tenant.deleted', 't1', { actor: 'k', purgeAfter: 'soon' }, { clock })).toThrow(/purgeAfter/);
  });

  test('cursors round-trip and tampered cursors are refused', () => {
    expect(decodeCursor(encodeCursor('t-0042'))).toBe('t-0042');
    expect(() => decodeCursor(Buffer.from("x' OR 1=1").toString('base64url'))).toThrow(expect.objectContaining({ code: 'ADMIN_INVALID_REQUEST' }));
  });

  test('every error catalogue key equals its code', () => {
    for (const [key, entry] of Object.entries(ADMIN_ERRORS)) expect(entry.code).toBe(key);
  });
});
