'use strict';

const postgres = require('./postgres');
const redis = require('./redis');
const rabbit = require('./rabbit');
const discovery = require('./discovery');
const objectstore = require('./objectstore');

module.exports = {
  createPostgres: postgres.createPostgres,
  DATABASES: postgres.DATABASES,
  DATABASE_URL_KEYS: postgres.DATABASE_URL_KEYS,
  createRedis: redis.createRedis,
  createRabbit: rabbit.createRabbit,
  createRegistry: discovery.createRegistry,
  createObjectStore: objectstore.createObjectStore,
  ObjectStoreError: objectstore.ObjectStoreError,
};
