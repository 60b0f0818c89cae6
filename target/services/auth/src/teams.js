'use strict';

const crypto = require('node:crypto');
const { authError } = require('./errors');
const { atLeast } = require('./permissions');
const S = require('./routes/schemas');

const TEAM_ROLES = Object.freeze(['viewer', 'member', 'admin']);

function createTeams({ postgres, clock, idFactory = () => crypto.randomUUID() }) {
  const q = (sql, params) => postgres.query('users', sql, params);

  async function team(teamId) {
    const { rows } = await q('SELECT id, tenant_id, name, created_at FROM teams WHERE id = $1', [teamId]);
    return rows[0] || null;
  }

  /**
   * Allows tenant admins on every team of their tenant, and team members on their own team when
   * their team role is at least `minimum`. A team of another tenant is reported as missing.
   */
  async function authorize(caller, teamId, minimum) {
    const found = await team(teamId);
    if (!found || found.tenant_id !== caller.tenantId) throw authError('AUTH_TEAM_NOT_FOUND', `no team ${teamId}`);
    if (atLeast(caller.role, 'admin')) return found;
    if (caller.userId) {
      const { rows } = await q(
        'SELECT m.role FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.tenant_id = $1 AND m.user_id = $2',
        [caller.tenantId, caller.userId],
      );
      if (rows[0] && TEAM_ROLES.indexOf(rows[0].role) >= TEAM_ROLES.indexOf(minimum)) return found;
    }
    throw authError('AUTH_FORBIDDEN', `not allowed on team ${teamId}`);
  }

  return {
    authorize,
    async create(caller, { name }) {
      if (!atLeast(caller.role, 'admin')) throw authError('AUTH_FORBIDDEN', 'creating teams needs the admin role');
      const id = idFactory();
      try {
        await postgres.withTransaction('users', async (tx) => {
          await tx.query('INSERT INTO teams (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)', [id, caller.tenantId, name, new Date(clock.now())]);
          if (caller.userId) {
            await tx.query('INSERT INTO team_members (team_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)', [id, caller.userId, 'admin', new Date(clock.now())]);
          }
        });
      } catch (err) {
        if (err.code === '23505') throw authError('AUTH_CONFLICT', `a team named ${name} exists`);
        throw err;
      }
      return { id, tenantId: caller.tenantId, name };
    },
    async addMember(teamId, { userId, role }) {
      const { rows } = await q('SELECT tenant_id FROM users WHERE id = $1', [userId]);
      const found = await team(teamId);
      if (!rows[0] || !found || rows[0].tenant_id !== found.tenant_id) throw authError('AUTH_USER_NOT_FOUND', `no user ${userId} in this tenant`);
      await q(
        `INSERT INTO team_members (team_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        [teamId, userId, role, new Date(clock.now())],
      );
      return { teamId, userId, role };
    },
    async members(teamId) {
      const { rows } = await q(
        `SELECT m.user_id, u.email, m.role FROM team_members m JOIN users u ON u.id = m.user_id
          WHERE m.team_id = $1 ORDER BY u.email`,
        [teamId],
      );
      return rows.map((r) => ({ userId: r.user_id, email: r.email, role: r.role }));
    },
  };
}

/** HTTP routes of teams. `callerOf(req)` resolves the authenticated caller or throws 401. */
async function teamRoutes(app, { teams, callerOf }) {
  app.post('/v1/teams', { schema: S.createTeam }, async (req, reply) => {
    const caller = callerOf(req);
    reply.code(201);
    return teams.create(caller, req.body);
  });

  app.post('/v1/teams/:id/members', { schema: S.addMember }, async (req, reply) => {
    const caller = callerOf(req);
    await teams.authorize(caller, req.params.id, 'admin');
    reply.code(201);
    return teams.addMember(req.params.id, req.body);
  });

  app.get('/v1/teams/:id/members', { schema: S.listMembers }, async (req) => {
    const caller = callerOf(req);
    await teams.authorize(caller, req.params.id, 'viewer');
    return { items: await teams.members(req.params.id) };
  });
}

module.exports = { createTeams, teamRoutes, TEAM_ROLES };
