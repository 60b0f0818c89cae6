'use strict';

const { can, atLeast, ROLES, PERMISSIONS } = require('../../../../services/auth/src/permissions');
const { AUTH_ERRORS } = require('../../../../services/auth/src/errors');

describe('roles and permissions', () => {
  test('roles are ordered from viewer to platform-admin', () => {
    expect(ROLES).toEqual(['viewer', 'member', 'admin', 'owner', 'platform-admin']);
    expect(atLeast('owner', 'admin')).toBe(true);
    expect(atLeast('member', 'admin')).toBe(false);
  });

  test('each permission is held from its least role upwards', () => {
    expect(can('viewer', 'data:read')).toBe(true);
    expect(can('viewer', 'data:write')).toBe(false);
    expect(can('admin', 'keys:write')).toBe(true);
    expect(can('owner', 'tenants:admin')).toBe(false);
    expect(can('platform-admin', 'tenants:admin')).toBe(true);
  });

  test('unknown roles and permissions, including inherited object keys, hold nothing', () => {
    expect(can('root', 'data:read')).toBe(false);
    expect(can('owner', 'toString')).toBe(false);
    expect(can('owner', '__proto__')).toBe(false);
    expect(can(undefined, 'data:read')).toBe(false);
    expect(Object.values(PERMISSIONS).every((r) => ROLES.includes(r))).toBe(true);
  });

  test('every error catalogue key equals its code', () => {
    for (const [key, entry] of Object.entries(AUTH_ERRORS)) expect(entry.code).toBe(key);
  });
});
