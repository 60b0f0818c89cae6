'use strict';

const Redis = require('ioredis');
const { useNamespace } = require('../../../support/namespace');
const { createRedis } = require('../../../../shared/clients/redis');
const { loadConfig } = require('../../../../shared/utils/config');

describe('redis client key prefix', () => {
  const ns = useNamespace({ databases: [], rabbit: false });
  let a;
  let b;
  let raw;

  beforeAll(() => {
    const config = loadConfig(ns.env);
    a = createRedis({ ...config, REDIS_PREFIX: `${ns.id}:a:` });
    b = createRedis({ ...config, REDIS_PREFIX: `${ns.id}:b:` });
    raw = new Redis(config.REDIS_URL);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    raw.disconnect();
  });

  test('two prefixes never see each other\'s keys', async () => {
    await a.set('shared-name', 'from-a');
    await b.set('shared-name', 'from-b');
    expect(await a.get('shared-name')).toBe('from-a');
    expect(await b.get('shared-name')).toBe('from-b');
    expect(await raw.get(`${ns.id}:a:shared-name`)).toBe('from-a');
  });

  test('EVAL keys and stream keys are prefixed; SCAN patterns and their replies are not', async () => {
    const reply = await a.eval("redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return {KEYS[1], KEYS[2]}", 2, 'k1', 'k2', 'v');
    expect(reply).toEqual([`${ns.id}:a:k1`, `${ns.id}:a:k2`]);
    await a.xadd('events', '*', 'f', '1');
    expect(await raw.xlen(`${ns.id}:a:events`)).toBe(1);
    const [, unprefixed] = await a.scan('0', 'MATCH', 'k*', 'COUNT', 1000);
    expect(unprefixed).toEqual([]);
    const found = [];
    let cursor = '0';
    do {
      const [next, keys] = await a.scan(cursor, 'MATCH', a.prefixKey('k*'), 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    expect(found.sort()).toEqual([`${ns.id}:a:k1`, `${ns.id}:a:k2`]);
    expect(found.map(a.unprefixKey).sort()).toEqual(['k1', 'k2']);
  });

  test('duplicate() keeps the prefix and serves a blocking read', async () => {
    const reader = a.duplicate();
    const pending = reader.blpop('queue', 0);
    await a.rpush('queue', 'job-1');
    expect(await pending).toEqual([`${ns.id}:a:queue`, 'job-1']);
    await reader.close();
    expect(reader.status).toBe('end');
  });
});
