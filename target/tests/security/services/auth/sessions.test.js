'use strict';

const crypto = require('node:crypto');
const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

// Password derivations, recorded from before auth is loaded, so they are seen however its code
// reaches scrypt.
const scryptCalls = jest.spyOn(crypto, 'scrypt');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let auth;
const users = {};

beforeAll(async () => {
  auth = await bootService('auth', { ns, clock: createFakeClock(1_700_000_000_000) });
  const admin = internalHeaders({ tenantId: 't-acme', role: 'admin' });
  for (const [name, email] of [['alice', 'alice@acme.test'], ['bob', 'bob@acme.test'], ['carol', 'carol@acme.test'], ['dave', 'dave@acme.test']]) {
    users[name] = (await call(auth.app, { method: 'POST', url: '/v1/users', headers: admin, payload: { email, password: `${name}-password-1`, role: 'member' } })).json();
  }
  users.mallory = (await call(auth.app, { method: 'POST', url: '/v1/users', headers: internalHeaders({ tenantId: 't-evil', role: 'admin' }), payload: { email: 'mallory@evil.test', password: 'mallory-password-1', role: 'admin' } })).json();
  const teamA = (await call(auth.app, { method: 'POST', url: '/v1/teams', headers: admin, payload: { name: 'team-a' } })).json();
  const teamB = (await call(auth.app, { method: 'POST', url: '/v1/teams', headers: admin, payload: { name: 'team-b' } })).json();
  await call(auth.app, { method: 'POST', url: `/v1/teams/${teamA.id}/members`, headers: admin, payload: { userId: users.alice.id, role: 'member' } });
  await call(auth.app, { method: 'POST', url: `/v1/teams/${teamB.id}/members`, headers: admin, payload: { userId: users.bob.id, role: 'member' } });
  // carol runs team A; dave is in both teams, with a different role in each.
  await call(auth.app, { method: 'POST', url: `/v1/teams/${teamA.id}/members`, headers: admin, payload: { userId: users.carol.id, role: 'admin' } });
  await call(auth.app, { method: 'POST', url: `/v1/teams/${teamA.id}/members`, headers: admin, payload: { userId: users.dave.id, role: 'member' } });
  await call(auth.app, { method: 'POST', url: `/v1/teams/${teamB.id}/members`, headers: admin, payload: { userId: users.dave.id, role: 'viewer' } });
  users.teamA = teamA;
  users.teamB = teamB;
});
ns.cleanup(async () => {
  await auth.close();
  scryptCalls.mockRestore();
});

const login = (email, password) => call(auth.app, { method: 'POST', url: '/v1/sessions', payload: { email, password } });
async function sessionOf(email, password) {
  return { authorization: `Bearer ${(await login(email, password)).json().token}` };
}

describe('console login', () => {
  test.each([
    ['a wrong password', 'alice@acme.test', 'alice-password-2'],
    ['an empty password', 'alice@acme.test', ''],
    ['the password of another user', 'alice@acme.test', 'bob-password-1'],
    ['an unknown email', 'nobody@acme.test', 'alice-password-1'],
    ['an injection-shaped email', "alice@acme.test' OR '1'='1", 'x'],
  ])('%s is refused with 401', async (name, email, password) => {
    const res = await login(email, password);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(res.json()).not.toHaveProperty('token');
  });

  test('an unknown email costs a password derivation, as a wrong password does', async () => {
    expect((await login('nobody@acme.test', 'some-password-1')).statusCode).toBe(401); // first use of the placeholder
    async function derivationsDuring(email, password) {
      scryptCalls.mockClear();
      const res = await login(email, password);
      expect(res.statusCode).toBe(401);
      return scryptCalls.mock.calls.length;
    }
    const wrongPassword = await derivationsDuring('alice@acme.test', 'alice-password-2');
    const unknownEmail = await derivationsDuring('nobody@acme.test', 'alice-password-2');
    expect(wrongPassword).toBeGreaterThan(0);
    expect(unknownEmail).toBe(wrongPassword);
  });

  test('the right password logs in, whatever the case of the email', async () => {
    const res = await login('ALICE@acme.test', 'alice-password-1');
    expect(res.statusCode).toBe(201);
    expect(res.json().token.split('.')).toHaveLength(3);
  });
});

describe('team membership', () => {
  test('a member of team A cannot read team B', async () => {
    const alice = await sessionOf('alice@acme.test', 'alice-password-1');
    const direct = await call(auth.app, { url: `/v1/teams/${users.teamB.id}/members`, headers: alice });
    expect(direct.statusCode).toBe(403);
    const disguised = await call(auth.app, { url: `/v1/teams/${users.teamB.id}/members?teamId=${users.teamA.id}`, headers: alice });
    expect(disguised.statusCode).toBe(403);
    const own = await call(auth.app, { url: `/v1/teams/${users.teamA.id}/members?teamId=${users.teamB.id}`, headers: alice });
    expect(own.statusCode).toBe(200);
  });

  test('an admin of team A cannot add members to team B', async () => {
    const carol = await sessionOf('carol@acme.test', 'carol-password-1');
    const other = await call(auth.app, { method: 'POST', url: `/v1/teams/${users.teamB.id}/members`, headers: carol, payload: { userId: users.carol.id, role: 'admin' } });
    expect(other.statusCode).toBe(403);
    const own = await call(auth.app, { method: 'POST', url: `/v1/teams/${users.teamA.id}/members`, headers: carol, payload: { userId: users.bob.id, role: 'viewer' } });
    expect(own.statusCode).toBe(201);
  });

  test('a user in two teams has the role of each team on that team', async () => {
    const dave = await sessionOf('dave@acme.test', 'dave-password-1');
    expect((await call(auth.app, { url: `/v1/teams/${users.teamA.id}/members`, headers: dave })).statusCode).toBe(200);
    expect((await call(auth.app, { url: `/v1/teams/${users.teamB.id}/members`, headers: dave })).statusCode).toBe(200);
    // viewer on team B: may read it, may not manage it
    const add = await call(auth.app, { method: 'POST', url: `/v1/teams/${users.teamB.id}/members`, headers: dave, payload: { userId: users.alice.id, role: 'viewer' } });
    expect(add.statusCode).toBe(403);
  });

  test('an admin of another tenant sees no team of this one', async () => {
    const mallory = await sessionOf('mallory@evil.test', 'mallory-password-1');
    const res = await call(auth.app, { url: `/v1/teams/${users.teamA.id}/members`, headers: mallory });
    expect(res.statusCode).toBe(404);
    const add = await call(auth.app, { method: 'POST', url: `/v1/teams/${users.teamA.id}/members`, headers: mallory, payload: { userId: users.mallory.id, role: 'admin' } });
    expect(add.statusCode).toBe(404);
  });

  test('prototype-polluting bodies are refused and pollute nothing', async () => {
    const res = await call(auth.app, { method: 'POST', url: '/v1/sessions', headers: { 'content-type': 'application/json' }, payload: '{"email":"a@b.c","password":"x","__proto__":{"role":"owner","polluted":true}}' });
    expect(res.statusCode).toBe(400);
    expect({}.polluted).toBeUndefined();
  });
});
