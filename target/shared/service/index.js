'use strict';

const { defineService } = require('./bootstrap');
const { createHttpApp } = require('./app');
const { createErrorHandler, createErrorMapper, isStoreUnavailable, ERROR_BODY_SCHEMA } = require('./errors');
const { healthRoutes, readiness } = require('./health');
const { withDeadline } = require('./deadline');
const { internalTokenValid, gatewayCaller } = require('./identity');
const { registerOpenApi } = require('./openapi');
const { SERVICES, serviceEntry, defaultRoutes } = require('./table');

module.exports = {
  defineService,
  createHttpApp,
  createErrorHandler,
  createErrorMapper,
  isStoreUnavailable,
  ERROR_BODY_SCHEMA,
  healthRoutes,
  readiness,
  withDeadline,
  internalTokenValid,
  gatewayCaller,
  registerOpenApi,
  SERVICES,
  serviceEntry,
  defaultRoutes,
};
