'use strict';

async function healthRoutes(app, { postgres, relay, openapi }) {
  app.get('/health', async () => ({ status: 'ok', service: 'admin' }));
  app.get('/ready', async (req, reply) => {
    const checks = {};
    try {
      checks.outboxPending = await relay.pending();
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
