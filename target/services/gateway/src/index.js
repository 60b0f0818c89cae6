'use strict';

const { service } = require('../../../shared');
const { parseConfig } = require('./config');
const { createApp } = require('./app');

// The gateway has no database and so no migrations: Redis carries its rate limits, the live
// channel and the registry it routes by.
module.exports = service.defineService({
  name: 'gateway',
  parseConfig,
  createApp: ({ config, clock, clients, logger, options }) => createApp({ config, clock, clients, logger, generateId: options.generateId }),
});

if (require.main === module) module.exports.main();
