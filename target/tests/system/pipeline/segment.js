'use strict';

// The front of the pipeline as it runs in production, for the system tests: auth and the gateway
// in front, then ingestion, transform and router, each started through its own entry point
// (`start()`: clients, migrations, topology, consumers, registration), all on one namespace.
// The tenant's events leave the segment as `router.routed`; a tap on dn.events records them.

const { once } = require('node:events');
const { silentLogger } = require('../../../shared/utils/logger');
const { serviceEnv, FAST_PASSWORDS } = require('../../support/boot-service');
const { internalHeaders } = require('../../support/http');

const ORDER = ['auth', 'router', 'transform', 'ingestion', 'gateway'];

/**
 * Starts the segment. `env` goes to every service (an AMQP_URL through a fault proxy, say).
 * @returns {Promise<{ services: object, stop(): Promise<void> }>}
 */
async function startSegment(ns, { clock, env = {} }) {
  const services = {};
  const common = serviceEnv(ns, {
    RATE_LIMIT_BURST: '10000',
    // one request's events are written at once (the size trigger), not on the flush timer
    INGEST_BATCH_SIZE: '1',
    RECONNECT_BASE_MS: '100',
    RECONNECT_MAX_MS: '100',
    ...env,
  });
  try {
    for (const name of ORDER) {
      const service = require(`../../../services/${name}/src/index`);
      services[name] = await service.start({ env: common, clock, logger: silentLogger, passwordOptions: FAST_PASSWORDS });
    }
  } catch (err) {
    await stopAll(services);
    throw err;
  }
  return { services, stop: () => stopAll(services) };
}

async function stopAll(services) {
  for (const name of [...ORDER].reverse()) {
    if (services[name]) await services[name].stop();
    delete services[name];
  }
}

/** An API key of `tenantId` with `role`, issued by auth. */
async function apiKey(services, tenantId, role = 'admin') {
  const res = await fetch(`${services.auth.url}/v1/keys`, {
    method: 'POST',
    headers: { ...internalHeaders({ tenantId, role: 'owner' }), 'content-type': 'application/json' },
    body: JSON.stringify({ name: `${role}-key`, role }),
  });
  if (res.status !== 201) throw new Error(`auth issued no key: ${res.status} ${await res.text()}`);
  return (await res.json()).key;
}

/** A call through the gateway, as a tenant's client makes it. */
async function viaGateway(services, path, { key, method = 'GET', body, headers = {} } = {}) {
  const res = await fetch(`${services.gateway.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** v2 events of one source with reproducible ids. */
function eventBatch(prefix, count, ts = '2024-05-01T10:00:00.000Z') {
  return Array.from({ length: count }, (_, i) => ({
    eventId: `${prefix}-${i + 1}`,
    source: 'web',
    name: 'checkout.completed',
    ts,
    properties: { amount: 10 * (i + 1), currency: 'EUR' },
    dimensions: { country: i % 2 === 0 ? 'DE' : 'FR', plan: 'pro' },
  }));
}

/** Resolves when every service's broker client has emitted `event` once (from now on). */
function allEmit(services, names, event) {
  return Promise.all(names.map((name) => once(services[name].clients.rabbit, event)));
}

module.exports = { startSegment, apiKey, viaGateway, eventBatch, allEmit };
