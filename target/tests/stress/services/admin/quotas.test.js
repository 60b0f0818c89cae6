'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'] });
let admin;
const ops = internalHeaders({ tenantId: 'platform', role: 'platform-admin' });

beforeAll(async () => {
  admin = await bootService('admin', { ns, clock: createFakeClock(Date.UTC(2024, 4, 1)) });
});
ns.cleanup(async () => {
  await admin.close();
});

describe('quota consumption under concurrency', () => {
  test.each([1, 2])('concurrent consumers never overshoot the limit (seed %i)', async (seed) => {
    const prng = createPrng(`quota-${seed}`);
    const id = `t-quota-${seed}`;
    await call(admin.app, { method: 'POST', url: '/admin/tenants', headers: ops, payload: { id, name: 'Q', plan: 'free' } });
    await call(admin.app, { method: 'PUT', url: `/admin/tenants/${id}/quotas/pipelines`, headers: ops, payload: { limit: 40 } });
    const amounts = Array.from({ length: 40 }, () => prng.int(1, 3));
    const results = await Promise.all(amounts.map((amount) => call(admin.app, { method: 'POST', url: `/admin/tenants/${id}/usage/pipelines`, headers: ops, payload: { amount } })));
    const granted = amounts.filter((_, i) => results[i].statusCode === 200).reduce((a, b) => a + b, 0);
    expect(results.every((r) => r.statusCode === 200 || r.statusCode === 429)).toBe(true);
    const quota = (await call(admin.app, { url: `/admin/tenants/${id}/quotas`, headers: ops })).json().items.find((q) => q.name === 'pipelines');
    expect(quota.used).toBe(granted);
    expect(quota.used).toBeLessThanOrEqual(40);
    expect(quota.used).toBeGreaterThanOrEqual(38);
  });
});
