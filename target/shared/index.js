'use strict';

// Entry point of the shared library: `const { clients, contracts, events, service, stream, utils, config } = require('shared')`.
// utils first: it holds the leaf modules (config, errors, clock, logger) everything else builds on.
const utils = require('./utils');
const clients = require('./clients');
const events = require('./events');
const stream = require('./stream');
const contracts = require('./contracts');
const service = require('./service');

module.exports = { clients, contracts, events, service, stream, utils };

// The default config (from process.env) is parsed on first read, not at require time.
Object.defineProperty(module.exports, 'config', {
  enumerable: true,
  get: () => utils.config,
});
