'use strict';

const { defineService } = require('./bootstrap');
const { createHttpApp, registerApi } = require('./app');
const { createErrorHandler, createErrorMapper, errorFactory, isStoreUnavailable, errorResponses, ERROR_BODY_SCHEMA } = require('./errors');
const { serviceSchema, configParser } = require('./config');
const { healthRoutes, readiness, postgresCheck } = require('./health');
const { withDeadline } = require('./deadline');
const { consumeQueue } = require('./consume');
const { internalTokenValid, gatewayCaller, gatewayCallerHooks } = require('./identity');
const { registerOpenApi, GATEWAY_SECURITY } = require('./openapi');
const { SERVICES, serviceEntry, defaultRoutes } = require('./table');
const { createRequestIds, SAFE_REQUEST_ID } = require('./requestId');

module.exports = {
  defineService,
  createHttpApp,
  registerApi,
  createErrorHandler,
  createErrorMapper,
  errorFactory,
  serviceSchema,
  configParser,
  isStoreUnavailable,
  errorResponses,
  ERROR_BODY_SCHEMA,
  healthRoutes,
  readiness,
  postgresCheck,
  withDeadline,
  consumeQueue,
  internalTokenValid,
  gatewayCaller,
  gatewayCallerHooks,
  registerOpenApi,
  GATEWAY_SECURITY,
  SERVICES,
  serviceEntry,
  defaultRoutes,
  createRequestIds,
  SAFE_REQUEST_ID,
};
