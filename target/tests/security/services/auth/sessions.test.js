'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { bootService } = require('../../../support/boot-service');
const { call, internalHeaders } = require('../../../support/http');

const ns = useNamespace({ databases: ['users'], rabbit: false });
let auth;
const users = {};

beforeAll(async () => {
  auth = await bootService('auth', { ns, clock: createFakeClock(1_700_000_000_000) });
  const admin = internalHeaders({ tenantId: 't-acme', role: 'admin' });
  for (const [name, email] of [['alice', 'alice@acme.test'], ['bob', 'bob@acme.test']]) {
    users[name] = (await call(auth.app, { method: 'POST', url: '/v1/users', headers: admin, payload: { email, password: `${name}-password-1`, role: 'member' } })).json();
  }
  users.mallory = (await call(auth.app, { method: 'POST', url: '/v1/users', headers: internalHeaders({ tenantId: 't-evil', role: 'admin' }), payload: { email: 'mallory@evil.test', password: 'mallory-password-1', role: 'admin' } })).json();
  const teamA = (await call(auth.app, { method: 'POST', url: '/v1/teams', headers: admin, payload: { name: 'team-a' } })).json();
  const teamB = (await call(auth.app, { method: 'POST', url: '/v1/teams', headers: admin, payload: { name: 'team-b' } })).json();
  await call(auth.app, { method: 'POST', url: `/v1/teams/${teamA.id}/members`, headers: admin, payload: { userId: users.alice.id, role: 'member' } });
  await call(auth.app, { method: 'POST', url: `/v1/teams/${teamB.id}/members`, headers: admin, payload: { userId: users.bob.id, role: 'member' } });
  users.teamA = teamA;
  users.teamB = teamB;
});
ns.cleanup(async () => {
  await auth.close();
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

  test('the right password logs in, whatever the case of the email', async () => {
    const res = await login('ALICE@acme.test', 'alice-password-1');
    expect(res.statusCode).toBe(201);
    expect(res.json().token.split('.')).toHaveLength(3);
  });
});

describe('team membership', () => {
  test('a member of team A cannot read team B, whatever team id the query string names', async () => {
    const alice = await sessionOf('alice@acme.test', 'alice-password-1');
    const direct = await call(auth.app, { url: `/v1/teams/${users.teamB.id}/members`, headers: alice });
    expect(direct.statusCode).toBe(403);
    const disguised = await call(auth.app, { url: `/v1/teams/${users.teamB.id}/members?teamId=${users.teamA.id}`, headers: alice });
    expect(disguised.statusCode).toBe(403);
    const own = await call(auth.app, { url: `/v1/teams/${users.teamA.id}/members?teamId=${users.teamB.id}`, headers: alice });
    expect(own.statusCode).toBe(200);
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
