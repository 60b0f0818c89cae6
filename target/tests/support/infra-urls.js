'use strict';

// Where the real servers are. Tests never hard-code these: a Docker host or CI can point them
// elsewhere through the environment.
const env = process.env;

module.exports = {
  postgresAdminUrl: env.DN_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: env.DN_REDIS_URL || 'redis://127.0.0.1:6379',
  amqpUrl: env.DN_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
  rabbitManagementUrl: env.DN_RABBIT_MANAGEMENT_URL || 'http://guest:guest@127.0.0.1:15672',
};
