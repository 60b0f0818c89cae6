'use strict';

// Helpers for the gateway, auth and admin tests of every category: service environments, a
// session keyring generated once per test process, recording upstream servers.

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const INTERNAL_TOKEN = 'test-internal-token';
// Cheap scrypt parameters: the tests check behaviour, not the cost of a password hash.
const FAST_PASSWORDS = Object.freeze({ N: 1024 });

function serviceEnv(ns, extra = {}) {
  return { ...ns.env, PORT: '0', INTERNAL_TOKEN, LOG_LEVEL: 'silent', ...extra };
}

// A fixed RSA key pair for session tokens in tests: generating one costs seconds on a busy
// machine, and a fixture key makes every run sign with the same key.
const keyPair = {
  privateKey: fs.readFileSync(path.join(__dirname, 'fixtures', 'session-test-key.pem'), 'utf8'),
  publicKey: fs.readFileSync(path.join(__dirname, 'fixtures', 'session-test-key.pub.pem'), 'utf8'),
};

/** A session keyring on the fixture key pair. */
function testKeyring(kid = 'test-kid') {
  return {
    signer: { alg: 'RS256', kid, key: keyPair.privateKey },
    keyFor: (k) => (k === kid ? keyPair.publicKey : undefined),
    publicKeys: () => [{ kid, publicKey: keyPair.publicKey }],
    publicKey: keyPair.publicKey,
    privateKey: keyPair.privateKey,
  };
}

/** Headers of a call that came through the gateway for `principal`. */
function internalHeaders({ tenantId = 't-acme', role = 'admin', keyId = 'KEY0000000000000', userId } = {}) {
  const headers = { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': tenantId, 'x-user-role': role, 'x-key-id': keyId };
  if (userId) headers['x-user-id'] = userId;
  return headers;
}

/**
 * An HTTP server on port 0 that records every request and answers with `respond(req, body)`
 * (default 200 JSON echo). `hold()` makes it keep requests open until `release()`.
 */
async function startUpstream(respond) {
  const requests = [];
  const waiting = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const record = { method: req.method, url: req.url, headers: req.headers, body };
      requests.push(record);
      for (const w of waiting.splice(0)) w(record);
      const answer = respond ? respond(record) : { status: 200, body: { ok: true, url: req.url } };
      if (answer === null) return; // left hanging on purpose
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers || {}) });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    requests,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { INTERNAL_TOKEN, FAST_PASSWORDS, serviceEnv, testKeyring, internalHeaders, startUpstream };

// ---- in-process service apps on the namespace's real servers -------------------------------

const amqp = require('amqplib');
const { createPostgres } = require('../../../shared/clients/postgres');
const { createRedis } = require('../../../shared/clients/redis');
const { createRabbit } = require('../../../shared/clients/rabbit');
const { createRegistry } = require('../../../shared/clients/discovery');
const { runMigrations } = require('../../../shared/utils/migrate');
const { silentLogger } = require('../../../shared/utils/logger');
const { setupTopology } = require('../../../shared/events');

/** auth's createApp on the namespace's users database (migrated), with the fixture keyring. */
async function bootAuthApp({ ns, clock, env = {}, poolOptions } = {}) {
  const authConfig = require('../../../services/auth/src/config').parseConfig(serviceEnv(ns, env));
  const { createApp } = require('../../../services/auth/src/app');
  const { MIGRATIONS_DIR } = require('../../../services/auth/src/index');
  const postgres = createPostgres(authConfig, { logger: silentLogger, poolOptions });
  await runMigrations(postgres.pool('users'), MIGRATIONS_DIR, { table: 'auth_migrations' });
  const app = createApp({ config: authConfig, clock, clients: { postgres }, logger: silentLogger, keyring: testKeyring(), passwordOptions: FAST_PASSWORDS });
  await app.ready();
  return {
    app,
    postgres,
    config: authConfig,
    async close() {
      await app.close();
      await postgres.close();
    },
  };
}

/** admin's createApp on the namespace's users database and vhost. */
async function bootAdminApp({ ns, clock, env = {}, publisher, idFactory, poolOptions } = {}) {
  const adminConfig = require('../../../services/admin/src/config').parseConfig(serviceEnv(ns, env));
  const { createApp } = require('../../../services/admin/src/app');
  const { MIGRATIONS_DIR } = require('../../../services/admin/src/index');
  const postgres = createPostgres(adminConfig, { logger: silentLogger, poolOptions });
  await runMigrations(postgres.pool('users'), MIGRATIONS_DIR, { table: 'admin_migrations' });
  let rabbit = null;
  if (!publisher) {
    rabbit = createRabbit(adminConfig, { logger: silentLogger, clock });
    await rabbit.addSetup((ch) => setupTopology(ch, { queues: [] }));
    await rabbit.connect();
  }
  const app = createApp({ config: adminConfig, clock, clients: { postgres, rabbit, publisher }, logger: silentLogger, idFactory });
  await app.ready();
  return {
    app,
    postgres,
    rabbit,
    config: adminConfig,
    async close() {
      await app.close();
      if (rabbit) await rabbit.close();
      await postgres.close();
    },
  };
}

/** Redis client and registry on the namespace (gateway side). */
function redisAndRegistry(ns, clock, redisOptions) {
  const config = { ...ns.env, LOG_LEVEL: 'silent', RECONNECT_BASE_MS: 50, RECONNECT_MAX_MS: 200 };
  const redis = createRedis(config, { logger: silentLogger, options: redisOptions });
  const registry = createRegistry({ redis, clock, config: { REGISTRY_TTL_MS: 3_600_000, HEALTH_INTERVAL_MS: 600_000 }, logger: silentLogger });
  return { redis, registry };
}

/** gateway's createApp with the given clients. */
async function bootGatewayApp({ ns, clock, env = {}, redis, registry, generateId }) {
  const gatewayConfig = require('../../../services/gateway/src/config').parseConfig(serviceEnv(ns, env));
  const { createApp } = require('../../../services/gateway/src/app');
  const app = createApp({ config: gatewayConfig, clock, clients: { redis, registry }, logger: silentLogger, generateId });
  await app.ready();
  return { app, config: gatewayConfig };
}

/** Collects every event published on dn.events with a routing key matching `pattern`. */
async function tapEvents(ns, pattern = 'tenant.#') {
  const conn = await amqp.connect(ns.env.AMQP_URL);
  const ch = await conn.createChannel();
  await ch.assertExchange('dn.events', 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, 'dn.events', pattern);
  const events = [];
  conn.on('error', () => {});
  ch.on('error', () => {});
  await ch.consume(queue, (msg) => {
    if (msg === null) return; // consumer cancelled by the broker (vhost dropped)
    events.push(JSON.parse(msg.content.toString('utf8')));
    ch.ack(msg);
  });
  return {
    events,
    async close() {
      await conn.close().catch(() => {});
    },
  };
}

module.exports.bootAuthApp = bootAuthApp;
module.exports.bootAdminApp = bootAdminApp;
module.exports.bootGatewayApp = bootGatewayApp;
module.exports.redisAndRegistry = redisAndRegistry;
module.exports.tapEvents = tapEvents;

// ---- requests over a real port --------------------------------------------------------------
// fastify's inject() loads light-my-request, whose `cookie` dependency is ESM-only, which jest on
// Node 20 cannot require. The tests talk to the apps over a real port instead (port 0).

async function ensureListening(app) {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

/**
 * Same call shape as fastify's inject: `call(app, { method, url, headers, payload })` or
 * `call(app, '/path')`; resolves `{ statusCode, headers, body, json() }`.
 */
async function call(app, options) {
  const opts = typeof options === 'string' ? { url: options } : options;
  const port = await ensureListening(app);
  let payload = opts.payload;
  const headers = { ...(opts.headers || {}) };
  if (payload !== undefined && typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
    payload = JSON.stringify(payload);
    if (!headers['content-type']) headers['content-type'] = 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method || 'GET', path: opts.url, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ statusCode: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.end(payload);
    else req.end();
  });
}

module.exports.call = call;
module.exports.ensureListening = ensureListening;
