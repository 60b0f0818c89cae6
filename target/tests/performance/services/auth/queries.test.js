'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders, INTERNAL_TOKEN } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let auth;

beforeAll(async () => {
  auth = await bootService('auth', { ns, clock: createFakeClock(1_700_000_000_000) });
});
ns.cleanup(async () => {
  await auth.close();
});

describe('auth query counts', () => {
  test('verifying a key costs one query, and nothing while it is cached', async () => {
    const { key } = (await call(auth.app, { method: 'POST', url: '/v1/keys', headers: internalHeaders({ role: 'admin' }), payload: { name: 'k' } })).json();
    auth.postgres.resetStats();
    const verify = () => call(auth.app, { method: 'POST', url: '/v1/keys/verify', headers: { 'x-internal-token': INTERNAL_TOKEN }, payload: { key } });
    expect((await verify()).statusCode).toBe(200);
    expect(auth.postgres.stats().users.queries).toBe(1);
    for (let i = 0; i < 20; i += 1) await verify();
    expect(auth.postgres.stats().users.queries).toBe(1);
  });
});
