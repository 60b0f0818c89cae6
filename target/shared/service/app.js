'use strict';

const fastify = require('fastify');
const { createErrorHandler } = require('./errors');
const { healthRoutes } = require('./health');
const { registerOpenApi } = require('./openapi');
const { createRequestIds } = require('./requestId');

/**
 * The HTTP app of a service, with what every service shares already in place: the error handler
 * driven by the service's catalogue, GET /health and /ready from its named checks, and its
 * OpenAPI document at /openapi.json generated from the route schemas. The service then registers
 * its own routes on the returned app (not listening yet).
 *
 * @param {object} options
 * @param {string} options.service name (/health, logs, OpenAPI title)
 * @param {string} options.prefix error code prefix, e.g. 'AUTH'
 * @param {object} options.catalogue the service's error codes (utils.defineErrors)
 * @param {object} options.logger
 * @param {object} options.clock deadlines of the readiness checks run on it
 * @param {object} [options.checks] named readiness checks (see health.js)
 * @param {object} [options.openapi] `{ description, securitySchemes }`
 * @param {number} [options.bodyLimit] bytes (default 64 KiB)
 * @param {() => string} [options.generateId] request ids when the client sent no safe x-request-id
 */
function createHttpApp({ service, prefix, catalogue, logger, clock, checks = {}, openapi = {}, bodyLimit = 64 * 1024, generateId }) {
  const app = fastify({ logger: false, bodyLimit, requestIdHeader: false, genReqId: createRequestIds(generateId) });
  // Every answer carries its request id, so a client can quote it.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.setErrorHandler(createErrorHandler({ prefix, catalogue, logger, service }));
  // An unknown path answers in the same body shape as every other error.
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ code: `${prefix}_NO_ROUTE`, message: `no route for ${req.method} ${req.url.split('?')[0]}`, requestId: req.id }));
  registerOpenApi(app, { service, ...openapi });
  app.register(healthRoutes, { service, clock, checks });
  return app;
}

/**
 * Registers a service's own routes in one scope under `prefix`, each behind `guard` (an onRequest
 * hook such as `requireCaller(config)`); the health routes and /openapi.json stay outside it.
 * @param {object} app from createHttpApp
 * @param {object} options
 * @param {string} [options.prefix] default '/v1'
 * @param {Function} [options.guard]
 * @param {Array<[Function, object]>} options.routes route plugins and their options, registered in order
 */
function registerApi(app, { prefix = '/v1', guard, routes }) {
  app.register(
    async function api(scope) {
      if (guard) scope.addHook('onRequest', guard);
      for (const [plugin, options] of routes) await scope.register(plugin, options);
    },
    { prefix },
  );
}

module.exports = { createHttpApp, registerApi };
