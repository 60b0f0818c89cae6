'use strict';

const configModule = require('./config');
const clock = require('./clock');
const logger = require('./logger');
const errors = require('./errors');
const migrate = require('./migrate');
const prng = require('./prng');

module.exports = {
  loadConfig: configModule.loadConfig,
  ConfigError: configModule.ConfigError,
  BASE_SCHEMA: configModule.BASE_SCHEMA,
  LOG_LEVELS: configModule.LOG_LEVELS,
  systemClock: clock.systemClock,
  createFakeClock: clock.createFakeClock,
  flushMicrotasks: clock.flushMicrotasks,
  createLogger: logger.createLogger,
  silentLogger: logger.silentLogger,
  DataNexusError: errors.DataNexusError,
  ERRORS: errors.ERRORS,
  defineErrors: errors.defineErrors,
  createError: errors.createError,
  isDataNexusError: errors.isDataNexusError,
  orderMigrations: migrate.orderMigrations,
  runMigrations: migrate.runMigrations,
  createPrng: prng.createPrng,
};

// Built on first read (see config.js): requiring shared/ never fails on an unrelated variable.
Object.defineProperty(module.exports, 'config', {
  enumerable: true,
  get: () => configModule.config,
});
