'use strict';

const { defineService } = require('./bootstrap');
const { createHttpApp } = require('./app');
const { createErrorHandler, createErrorMapper, errorFactory, isStoreUnavailable, errorResponses, ERROR_BODY_SCHEMA } = require('./errors');
const { serviceSchema, configParser } = require('./config');
const { healthRoutes, readiness, postgresCheck } = require('./health');
const { withDeadline } = require('./deadline');
const { internalTokenValid, gatewayCaller, gatewayCallerHooks } = require('./identity');
const { registerOpenApi } = require('./openapi');
const { SERVICES, serviceEntry, defaultRoutes } = require('./table');
const { createRequestIds, SAFE_REQUEST_ID } = require('./requestId');

module.exports = {
  defineService,
  createHttpApp,
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
  internalTokenValid,
  gatewayCaller,
  gatewayCallerHooks,
  registerOpenApi,
  SERVICES,
  serviceEntry,
  defaultRoutes,
  createRequestIds,
  SAFE_REQUEST_ID,
};
