'use strict';

// Boots one service for a test from the spec it is defined with (services/<name>/src/index.js):
// the clients it uses, its migrations, its broker topology, its app. What differs between
// services is read from the spec, never restated here.
//
//   const auth = await bootService('auth', { ns, clock });
//   await call(auth.app, '/ready');  ...  (closed by the namespace's cleanup, before the drop)

const fs = require('node:fs');
const path = require('node:path');
const { createPostgres } = require('../../shared/clients/postgres');
const { createRedis } = require('../../shared/clients/redis');
const { createRabbit } = require('../../shared/clients/rabbit');
const { createRegistry } = require('../../shared/clients/discovery');
const { runMigrations } = require('../../shared/utils/migrate');
const { silentLogger } = require('../../shared/utils/logger');
const { INTERNAL_TOKEN } = require('./http');

const SERVICES_DIR = path.join(__dirname, '..', '..', 'services');

// Cheap scrypt parameters: the tests check behaviour, not the cost of a password hash.
const FAST_PASSWORDS = Object.freeze({ N: 1024 });

/** The environment a service sees in a test: the namespace's servers, port 0, the test token. */
function serviceEnv(ns, extra = {}) {
  return { ...ns.env, PORT: '0', INTERNAL_TOKEN, LOG_LEVEL: 'silent', ...extra };
}

// A fixed RSA key pair for session tokens: generating one costs seconds on a busy machine, and a
// fixture key makes every run sign with the same key.
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

/**
 * Redis and a registry on the namespace, with heartbeats far apart so a fake clock moved by a
 * test does not expire what the test registered. `holder.env` is a namespace's env (or any env).
 */
function redisAndRegistry(holder, clock, redisOptions) {
  const config = { ...holder.env, LOG_LEVEL: 'silent', RECONNECT_BASE_MS: 50, RECONNECT_MAX_MS: 200 };
  const redis = createRedis(config, { logger: silentLogger, options: redisOptions });
  const registry = createRegistry({ redis, clock, config: { REGISTRY_TTL_MS: 3_600_000, HEALTH_INTERVAL_MS: 600_000 }, logger: silentLogger });
  return { redis, registry };
}

/** The clients the spec says the service uses, except those the test passes in `given`. */
async function buildClients(spec, config, { clock, given, poolOptions, needsBroker }) {
  const clients = { ...given };
  const owned = [];
  if (spec.uses.postgres && !clients.postgres) {
    clients.postgres = createPostgres(config, { logger: silentLogger, poolOptions });
    owned.push(() => clients.postgres.close());
    if (spec.migrations) {
      const { dir, table, database } = spec.migrations;
      await runMigrations(clients.postgres.pool(database), dir, { table });
    }
  }
  if (!clients.redis) {
    Object.assign(clients, redisAndRegistry({ env: config }, clock));
    owned.push(() => clients.redis.close());
  }
  // The broker is opened for the topology the service declares or the consumers the test asked
  // for; a test that passes its own publisher keeps the service off it.
  if (spec.uses.rabbit && needsBroker && !clients.rabbit && !clients.publisher) {
    clients.rabbit = createRabbit(config, { logger: silentLogger, clock });
    owned.push(() => clients.rabbit.close());
  }
  return { clients, owned };
}

/**
 * @param {string} name a service under services/
 * @param {object} options
 * @param {object} options.ns the test file's namespace (useNamespace); the service is closed by its cleanup
 * @param {object} options.clock
 * @param {object} [options.env] on top of serviceEnv(ns)
 * @param {object} [options.clients] clients the test built itself (redis, registry, publisher, ...)
 * @param {boolean} [options.consumers] also subscribe the service's queues (default: no)
 * @param {object} [options.poolOptions] pg pool options
 * @param {object} [options.options] the service's test hooks (idFactory, generateId, onTenantEvent, ...)
 * @returns {Promise<{ app, config, clients, postgres, rabbit, redis, registry, close(): Promise<void> }>}
 */
async function bootService(name, { ns, clock, env = {}, clients: given = {}, consumers = false, poolOptions, options = {} }) {
  const { spec } = require(path.join(SERVICES_DIR, name, 'src', 'index.js'));
  const config = spec.parseConfig(serviceEnv(ns, env));
  const needsBroker = Boolean(spec.topology || (consumers && spec.consumers));
  const { clients, owned } = await buildClients({ uses: {}, ...spec }, config, { clock, given, poolOptions, needsBroker });
  const cleanups = [];
  const ctx = {
    config,
    clock,
    clients,
    logger: silentLogger,
    options: { keyring: testKeyring(), passwordOptions: FAST_PASSWORDS, ...options },
    onStop: (fn) => cleanups.push(fn),
  };
  if (clients.rabbit) {
    if (spec.topology) await spec.topology(ctx);
    await clients.rabbit.connect();
  }
  const app = await spec.createApp(ctx);
  if (consumers && spec.consumers) await spec.consumers({ ...ctx, app });
  await app.ready();
  let closing;
  const close = () => {
    closing = closing || (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await app.close();
      for (const closeClient of owned.reverse()) await closeClient();
    })();
    return closing;
  };
  if (ns.cleanup) ns.cleanup(close);
  return { app, config, clients, postgres: clients.postgres, rabbit: clients.rabbit, redis: clients.redis, registry: clients.registry, close };
}

module.exports = { bootService, serviceEnv, testKeyring, redisAndRegistry, FAST_PASSWORDS };
