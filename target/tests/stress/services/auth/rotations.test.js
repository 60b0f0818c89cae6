'use strict';

const { Client } = require('pg');
const { useNamespace } = require('../../../support/namespace');
const { waitUntil } = require('../../../support/wait-for');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders, INTERNAL_TOKEN } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let auth;
const headers = internalHeaders({ tenantId: 't-rot', role: 'admin' });

beforeAll(async () => {
  auth = await bootService('auth', { ns, clock: createFakeClock(1_700_000_000_000) });
});
ns.cleanup(async () => {
  await auth.close();
});

const verify = async (key) => (await call(auth.app, { method: 'POST', url: '/v1/keys/verify', headers: { 'x-internal-token': INTERNAL_TOKEN }, payload: { key } })).statusCode;
const rotate = (id) => call(auth.app, { method: 'POST', url: `/v1/keys/${id}/rotate`, headers });
const activeKeys = async (name) =>
  (await auth.postgres.query('users', "SELECT id FROM api_keys WHERE tenant_id = 't-rot' AND name = $1 AND revoked_at IS NULL", [name])).rows.map((r) => r.id);

describe('concurrent key rotations', () => {
  test('eight concurrent rotations of one key: exactly one wins, one key stays active', async () => {
    const { id, key } = (await call(auth.app, { method: 'POST', url: '/v1/keys', headers, payload: { name: 'race' } })).json();
    // Force the worst interleaving instead of hoping for it: the key's row is held locked here until
    // all eight rotations are queued behind that lock in PostgreSQL, so every one of them reads the
    // key at the same moment. Rotations that lock and revoke in one transaction still serialize;
    // anything weaker lets more than one through.
    const holder = new Client({ connectionString: ns.env.USERS_DATABASE_URL });
    // Watched from a second connection: inside the holder's transaction pg_stat_activity is a
    // snapshot taken once per transaction and would never change.
    const watcher = new Client({ connectionString: ns.env.USERS_DATABASE_URL });
    await holder.connect();
    await watcher.connect();
    let results;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM api_keys WHERE id = $1 FOR UPDATE', [id]);
      let settled = 0;
      const pending = Array.from({ length: 8 }, () => rotate(id).finally(() => { settled += 1; }));
      const blocked = async () =>
        (await watcher.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n;
      // Each check is a round trip; a rotation that answers without reaching the lock ends the wait.
      await waitUntil(async () => settled > 0 || (await blocked()) === 8, { maxIterations: 20_000, description: 'eight rotations waiting on the key row' });
      await holder.query('COMMIT');
      results = await Promise.all(pending);
    } finally {
      await holder.end();
      await watcher.end();
    }
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const winner = results.find((r) => r.statusCode === 201).json();
    expect(await activeKeys('race')).toEqual([winner.id]);
    expect(await verify(key)).toBe(401);
    expect(await verify(winner.key)).toBe(200);
  });

  test('a shuffled interleaving of rotations, verifications and revocations always leaves the latest key the only valid one', async () => {
    const prng = createPrng('rotation-interleaving');
    let current = (await call(auth.app, { method: 'POST', url: '/v1/keys', headers, payload: { name: 'chain' } })).json();
    const retired = [];
    for (let round = 0; round < 12; round += 1) {
      // The key about to be rotated is verified first, so it is in the verification cache when the
      // rotation runs: the rotation must evict it, or the retired key answers 200 next round.
      expect(await verify(current.key)).toBe(200);
      const ops = prng.shuffle(['rotate', 'verify-retired', 'rotate-stale']);
      const outcomes = await Promise.all(
        ops.map(async (op) => {
          if (op === 'rotate') return ['rotate', await rotate(current.id)];
          if (op === 'rotate-stale' && retired.length) return ['stale', await rotate(prng.pick(retired).id)];
          if (op === 'verify-retired' && retired.length) return ['retired', await verify(prng.pick(retired).key)];
          return ['noop', null];
        }),
      );
      const rotated = outcomes.find(([kind, res]) => kind === 'rotate' && res.statusCode === 201);
      for (const [kind, res] of outcomes) {
        if (kind === 'stale') expect(res.statusCode).toBe(409);
        if (kind === 'retired') expect(res).toBe(401);
      }
      expect(rotated).toBeDefined();
      retired.push(current);
      current = rotated[1].json();
      expect(await activeKeys('chain')).toEqual([current.id]);
    }
    expect(await verify(current.key)).toBe(200);
  });
});
