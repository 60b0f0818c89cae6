'use strict';

const { createFanout, routedId, orderingKeyOf } = require('../../../../services/router/src/fanout');
const { createSequencer } = require('../../../../services/router/src/sequencer');
const { parseConfig } = require('../../../../services/router/src/config');
const { createError, ERRORS } = require('../../../../shared/utils/errors');
const { createDeferred } = require('../../../support/deferred');
const { record, recordingPublisher } = require('./fixtures');

function memorySent() {
  const sent = new Set();
  return {
    sent,
    has: async (eventId, subId) => sent.has(`${eventId}/${subId}`),
    add: async (eventId, subId) => {
      sent.add(`${eventId}/${subId}`);
    },
  };
}

function memoryDeadLetters() {
  const items = [];
  return { items, add: async (route, what) => items.push({ eventId: route.eventId, ...what }) };
}

const sub = (id, extra = {}) => ({ id, topic: 'web', pattern: '#', ordered: false, keyField: null, ...extra });
const routeOf = (envelope) => ({ tenantId: envelope.tenantId, eventId: envelope.id, key: envelope.data.name, envelope });
const boom = (msg = 'rejected') => Object.assign(new Error(msg), { code: 'SINK_REJECTED' });

describe('fan-out to every subscriber', () => {
  test('a subscriber whose publish keeps failing does not stop the ones after it', async () => {
    const publisher = recordingPublisher({ failWith: (env) => (env.data.subscriptionId === 's2' ? boom() : undefined) });
    const deadLetters = memoryDeadLetters();
    const fanout = createFanout({ publisher, sent: memorySent(), deadLetters, attempts: 3 });
    const env = record({ id: 'evt-fan-1' });
    const outcome = await fanout.deliver(routeOf(env), [sub('s1'), sub('s2'), sub('s3')]);
    expect(publisher.to('s1')).toHaveLength(1);
    expect(publisher.to('s3')).toHaveLength(1);
    expect(outcome).toEqual({ published: ['s1', 's3'], deadLettered: ['s2'] });
    expect(deadLetters.items).toEqual([expect.objectContaining({ eventId: 'evt-fan-1', subscriptionId: 's2', reason: 'publish-failed' })]);
    expect(publisher.attempts.get(routedId('evt-fan-1', 's2'))).toBe(3);
  });

  test('the first and the last subscriber failing leave the middle ones delivered', async () => {
    const failing = new Set(['a', 'e']);
    const publisher = recordingPublisher({ failWith: (env) => (failing.has(env.data.subscriptionId) ? boom() : undefined) });
    const deadLetters = memoryDeadLetters();
    const fanout = createFanout({ publisher, sent: memorySent(), deadLetters, attempts: 1 });
    const outcome = await fanout.deliver(routeOf(record()), ['a', 'b', 'c', 'd', 'e'].map((id) => sub(id)));
    expect(outcome.published).toEqual(['b', 'c', 'd']);
    expect(deadLetters.items.map((d) => d.subscriptionId).sort()).toEqual(['a', 'e']);
  });

  test('a copy that cannot even be built for one subscriber is dead-lettered alone', async () => {
    const publisher = recordingPublisher();
    const deadLetters = memoryDeadLetters();
    const fanout = createFanout({ publisher, sent: memorySent(), deadLetters });
    // A topic name longer than the router.routed contract allows: the envelope check refuses that copy.
    const outcome = await fanout.deliver(routeOf(record()), [sub('ok-1'), sub('bad', { topic: 'x'.repeat(80) }), sub('ok-2')]);
    expect(outcome).toEqual({ published: ['ok-1', 'ok-2'], deadLettered: ['bad'] });
  });

  test('a publish that fails and then succeeds is delivered once, not dead-lettered', async () => {
    const publisher = recordingPublisher({ failWith: (env, opts, n) => (n < 3 ? boom() : undefined) });
    const deadLetters = memoryDeadLetters();
    const fanout = createFanout({ publisher, sent: memorySent(), deadLetters, attempts: 3 });
    const outcome = await fanout.deliver(routeOf(record()), [sub('s1'), sub('s2')]);
    expect(outcome).toEqual({ published: ['s1', 's2'], deadLettered: [] });
    expect(deadLetters.items).toEqual([]);
  });

  test('a broker that is gone fails the whole delivery, and the next delivery sends only what is missing', async () => {
    let gone = true;
    const publisher = recordingPublisher({
      failWith: (env) => (gone && env.data.subscriptionId === 's2' ? createError(ERRORS.DN_AMQP_UNAVAILABLE, 'broker unavailable') : undefined),
    });
    const deadLetters = memoryDeadLetters();
    const fanout = createFanout({ publisher, sent: memorySent(), deadLetters });
    const route = routeOf(record({ id: 'evt-gone' }));
    const subs = [sub('s1'), sub('s2'), sub('s3')];
    await expect(fanout.deliver(route, subs)).rejects.toMatchObject({ code: 'DN_AMQP_UNAVAILABLE' });
    expect(deadLetters.items).toEqual([]);
    gone = false;
    await fanout.deliver(route, subs);
    expect(publisher.published.map((p) => p.envelope.data.subscriptionId).sort()).toEqual(['s1', 's2', 's3']);
    expect(deadLetters.items).toEqual([]);
  });
});

describe('routed copies', () => {
  test('an ordered subscription carries the key field value; ids are stable per event and subscription', async () => {
    const publisher = recordingPublisher();
    const fanout = createFanout({ publisher, sent: memorySent(), deadLetters: memoryDeadLetters() });
    const env = record({ id: 'evt-key', properties: { userId: 42 }, dimensions: { country: 'DE' } });
    await fanout.deliver(routeOf(env), [sub('o1', { ordered: true, keyField: 'properties.userId' }), sub('p1')]);
    const [ordered, plain] = publisher.published;
    expect(ordered.envelope).toMatchObject({ id: routedId('evt-key', 'o1'), type: 'router.routed', tenantId: 'tenant-acme', occurredAt: env.occurredAt });
    expect(ordered.envelope.data).toMatchObject({ subscriptionId: 'o1', orderingKey: '42', routingKey: 'pageview', sourceEventId: 'evt-key', record: env.data });
    expect(ordered.options.headers).toEqual({ 'x-subscription-id': 'o1', 'x-ordering-key': '42' });
    expect(plain.envelope.data).not.toHaveProperty('orderingKey');
    expect(routedId('evt-key', 'o1')).not.toBe(routedId('evt-key', 'p1'));
  });

  test('the key of a missing or inherited field is empty', () => {
    expect(orderingKeyOf({ properties: {} }, 'properties.userId')).toBe('');
    expect(orderingKeyOf({ properties: {} }, 'properties.constructor')).toBe('');
    expect(orderingKeyOf({ dimensions: { plan: 'pro' } }, 'dimensions.plan')).toBe('pro');
  });
});

describe('sequencer', () => {
  test('tasks of one key run one at a time in order; other keys do not wait', async () => {
    const seq = createSequencer();
    const gate = createDeferred();
    const log = [];
    const a1 = seq.run('a', async () => {
      await gate.promise;
      log.push('a1');
    });
    const a2 = seq.run('a', async () => log.push('a2'));
    await seq.run('b', async () => log.push('b1'));
    expect(log).toEqual(['b1']);
    gate.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['b1', 'a1', 'a2']);
  });

  test('a failing task rejects its own caller only', async () => {
    const seq = createSequencer();
    const first = seq.run('k', async () => {
      throw new Error('first');
    });
    const second = seq.run('k', async () => 'second');
    await expect(first).rejects.toThrow('first');
    await expect(second).resolves.toBe('second');
  });
});

describe('configuration', () => {
  test('defaults, and bad values refused with the key', () => {
    const config = parseConfig({ INTERNAL_TOKEN: 't', PIPELINE_DATABASE_URL: 'postgres://x/pipeline' });
    expect(config.PORT).toBe(3004);
    expect(config.ROUTER_PUBLISH_ATTEMPTS).toBe(3);
    expect(config.ROUTER_TOPIC_CACHE_MS).toBe(30000);
    expect(() => parseConfig({ INTERNAL_TOKEN: 't', ROUTER_PUBLISH_ATTEMPTS: '0' })).toThrow(expect.objectContaining({ code: 'DN_CONFIG_INVALID' }));
    expect(() => parseConfig({})).toThrow(expect.objectContaining({ code: 'DN_CONFIG_INVALID' }));
  });
});
