'use strict';

// Roles are ordered: each one can do everything the roles below it can. `platform-admin` is the
// operator of the whole platform (admin service); the others are roles inside one tenant.
const ROLES = Object.freeze(['viewer', 'member', 'admin', 'owner', 'platform-admin']);
const TENANT_ROLES = Object.freeze(ROLES.slice(0, 4));

// The least role that holds each permission. Other services ask auth through
// POST /v1/permissions/check rather than keeping copies of this table.
const PERMISSIONS = Object.freeze({
  'data:read': 'viewer',
  'dashboards:read': 'viewer',
  'data:write': 'member',
  'pipelines:write': 'member',
  'dashboards:write': 'member',
  'keys:read': 'admin',
  'keys:write': 'admin',
  'users:write': 'admin',
  'teams:write': 'admin',
  'billing:read': 'owner',
  'tenants:admin': 'platform-admin',
});

function rank(role) {
  return ROLES.indexOf(role);
}

function isRole(role) {
  return typeof role === 'string' && ROLES.includes(role);
}

function atLeast(role, minimum) {
  return isRole(role) && isRole(minimum) && rank(role) >= rank(minimum);
}

/** True when `role` holds `permission`; unknown roles and permissions hold nothing. */
function can(role, permission) {
  if (typeof permission !== 'string' || !Object.hasOwn(PERMISSIONS, permission)) return false;
  return atLeast(role, PERMISSIONS[permission]);
}

module.exports = { ROLES, TENANT_ROLES, PERMISSIONS, can, atLeast, isRole, rank };
