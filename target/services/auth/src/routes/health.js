'use strict';

const { withDeadline } = require('../deadline');

async function healthRoutes(app, { postgres, clock, config, openapi }) {
  app.get('/health', async () => ({ status: 'ok', service: 'auth' }));
  app.get('/ready', async (req, reply) => {
    const checks = {};
    try {
      await withDeadline(postgres.query('users', 'SELECT 1'), clock, config.DB_TIMEOUT_MS);
      checks.postgres = 'ok';
    } catch (err) {
      checks.postgres = `down: ${err.message}`;
    }
    const ok = checks.postgres === 'ok';
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not-ready', checks };
  });
  app.get('/openapi.json', async () => openapi);
}

module.exports = { healthRoutes };
