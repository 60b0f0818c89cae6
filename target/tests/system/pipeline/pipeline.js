'use strict';

// The whole pipeline for the golden-path tests: the front segment (auth, gateway, ingestion,
// transform, router: segment.js) and the back, aggregate and store, each started through its own
// entry point on one namespace. Aggregate and store start first so their queues are bound before
// the first event is routed. `aggregateEnv` goes to aggregate only (its Redis through a fault
// proxy, say); `env` to every service.

const { silentLogger } = require('../../../shared/utils/logger');
const { serviceEnv, FAST_PASSWORDS } = require('../../support/boot-service');
const { startSegment } = require('./segment');

const BACK = ['store', 'aggregate'];

function backEnv(ns, env, extra) {
  return serviceEnv(ns, { RECONNECT_BASE_MS: '100', RECONNECT_MAX_MS: '100', STORE_MAINTENANCE_INTERVAL_MS: '0', ...env, ...extra });
}

async function startBack(name, ns, { clock, env, extra }) {
  const service = require(`../../../services/${name}/src/index`);
  return service.start({ env: backEnv(ns, env, extra), clock, logger: silentLogger, passwordOptions: FAST_PASSWORDS });
}

/**
 * @returns {Promise<{ services: object, restartAggregate(): Promise<object>, stop(): Promise<void> }>}
 */
async function startPipeline(ns, { clock, env = {}, aggregateEnv = {}, storeEnv = {} }) {
  const back = {};
  let segment;
  const extras = { aggregate: aggregateEnv, store: storeEnv };
  async function stop() {
    if (segment) await segment.stop();
    for (const name of BACK) {
      if (back[name]) await back[name].stop();
      delete back[name];
    }
  }
  try {
    for (const name of BACK) back[name] = await startBack(name, ns, { clock, env, extra: extras[name] });
    segment = await startSegment(ns, { clock, env });
  } catch (err) {
    await stop();
    throw err;
  }
  const services = new Proxy({}, { get: (_, name) => back[name] || segment.services[name] });
  return {
    services,
    /** Stops aggregate and starts it again with the same configuration (same consumer name). */
    async restartAggregate() {
      await back.aggregate.stop();
      back.aggregate = await startBack('aggregate', ns, { clock, env, extra: extras.aggregate });
      return back.aggregate;
    },
    stop,
  };
}

module.exports = { startPipeline };
