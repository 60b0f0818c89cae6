'use strict';

const { useNamespace } = require('../../../support/namespace');
const { createFaultProxy } = require('../../../support/fault-proxy');
const { waitForEvent } = require('../../../support/wait-for');
const { promiseState } = require('../../../support/deferred');
const { createRedis } = require('../../../../shared/clients/redis');
const { loadConfig } = require('../../../../shared/utils/config');

describe('redis client behind a fault proxy', () => {
  const ns = useNamespace({ databases: [], rabbit: false });
  let proxy;
  let redis;

  beforeAll(async () => {
    const real = new URL(ns.env.REDIS_URL);
    proxy = await createFaultProxy({ host: real.hostname, port: Number(real.port || 6379) });
    redis = createRedis(loadConfig({ ...ns.env, REDIS_URL: proxy.url(ns.env.REDIS_URL), RECONNECT_BASE_MS: '5', RECONNECT_MAX_MS: '20' }));
    await waitForEvent(redis, 'ready');
  });
  afterAll(async () => {
    await redis.close();
    await proxy.close();
  });

  test('a command after a connection cut is served once the client has reconnected', async () => {
    await redis.set('counter', '1');
    const closed = waitForEvent(redis, 'close');
    proxy.cut();
    await closed;
    const ready = waitForEvent(redis, 'ready');
    const write = redis.set('counter', '2');
    await ready;
    await expect(write).resolves.toBe('OK');
    expect(await redis.get('counter')).toBe('2');
  });

  test('a command issued during a stall waits, then completes when the network resumes', async () => {
    proxy.stall(true);
    const held = waitForEvent(proxy, 'held');
    const read = redis.get('counter');
    await held;
    expect(await promiseState(read)).toBe('pending');
    proxy.stall(false);
    expect(await read).toBe('2');
  });

  test('commands queued while the server refuses connections run after it accepts again', async () => {
    const refusals = [];
    const onRefused = (e) => refusals.push(e);
    proxy.on('refused', onRefused);
    proxy.refuse(true);
    const closed = waitForEvent(redis, 'close');
    proxy.cut();
    await closed;
    const write = redis.incr('counter');
    while (refusals.length < 2) await waitForEvent(proxy, 'refused');
    expect(await promiseState(write)).toBe('pending');
    proxy.refuse(false);
    proxy.off('refused', onRefused);
    await expect(write).resolves.toBe(3);
  });
});
