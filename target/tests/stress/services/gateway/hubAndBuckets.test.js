'use strict';

const { createHub } = require('../../../../services/gateway/src/ws/hub');
const { createBucket, take, normalizePolicy } = require('../../../../services/gateway/src/ratelimit/tokenBucket');
const { createCircuitBreaker } = require('../../../../services/gateway/src/circuit');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');

const TOPICS = ['queries', 'alerts', 'events', 'metrics', 'jobs'];

function fakeSocket() {
  return { readyState: 1, send() {} };
}

describe('live hub under churn', () => {
  test('10 000 connect, subscribe and close cycles leave no subscriber behind', () => {
    const prng = createPrng('hub-churn');
    const hub = createHub();
    const open = [];
    for (let i = 0; i < 10000; i += 1) {
      const socket = fakeSocket();
      hub.add(socket, { tenantId: `t${prng.int(0, 9)}` });
      for (let j = prng.int(1, 3); j > 0; j -= 1) hub.subscribe(socket, prng.pick(TOPICS));
      open.push(socket);
      if (open.length > 50 || prng.bool(0.7)) hub.remove(open.splice(prng.int(0, open.length - 1), 1)[0]);
    }
    for (const socket of open.splice(0)) hub.remove(socket);
    expect(hub.stats()).toEqual({ connections: 0, topics: 0, subscriptions: 0 });
  });

  test('a PRNG-driven mix of subscribe, unsubscribe and remove agrees with a reference model', () => {
    const prng = createPrng('hub-model');
    const hub = createHub({ maxTopicsPerSocket: 100 });
    const model = new Map(); // socket -> Set(topic)
    const sockets = Array.from({ length: 40 }, fakeSocket);
    for (let step = 0; step < 5000; step += 1) {
      const s = prng.pick(sockets);
      const op = prng.int(0, 3);
      if (op === 0 && !model.has(s)) {
        hub.add(s, { tenantId: 't' });
        model.set(s, new Set());
      } else if (op === 1 && model.has(s)) {
        const topic = prng.pick(TOPICS);
        hub.subscribe(s, topic);
        model.get(s).add(topic);
      } else if (op === 2 && model.has(s)) {
        const topic = prng.pick(TOPICS);
        hub.unsubscribe(s, topic);
        model.get(s).delete(topic);
      } else if (op === 3) {
        hub.remove(s);
        model.delete(s);
      }
    }
    const expectedSubs = [...model.values()].reduce((n, set) => n + set.size, 0);
    const expectedTopics = new Set([...model.values()].flatMap((set) => [...set])).size;
    expect(hub.stats()).toEqual({ connections: model.size, topics: expectedTopics, subscriptions: expectedSubs });
    for (const topic of TOPICS) {
      const expected = [...model.values()].filter((set) => set.has(topic)).length;
      expect(hub.publish('t', topic, {})).toBe(expected);
    }
  });
});

describe('token bucket under randomised polling', () => {
  test.each([1, 2, 3])('clients polling faster than the rate get the configured rate (seed %i)', (seed) => {
    const prng = createPrng(`poll-${seed}`);
    const policy = normalizePolicy({ rate: 2, burst: 2 });
    const bucket = createBucket(0, policy);
    let now = 0;
    let allowed = 0;
    while (now < 60000) {
      if (take(bucket, now, policy).allowed) allowed += 1;
      now += prng.int(1, 400); // always faster than one token per 500 ms
    }
    // burst + one token per 500 ms over the minute, give or take the poll granularity
    expect(allowed).toBeGreaterThanOrEqual(118);
    expect(allowed).toBeLessThanOrEqual(122);
  });
});

describe('circuit breaker under a pseudo-random outcome sequence', () => {
  test('never lets a call through an open breaker before its cooldown, nor two probes at once', () => {
    const prng = createPrng('breaker');
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ clock, failureThreshold: 3, cooldownMs: 1000 });
    let inFlight = 0;
    let openedAt = null;
    for (let step = 0; step < 20000; step += 1) {
      clock.advance(prng.int(0, 200));
      const stateBefore = breaker.state;
      if (breaker.tryAcquire()) {
        if (stateBefore === 'open') expect(clock.now() - openedAt).toBeGreaterThanOrEqual(1000);
        if (breaker.state === 'half-open') {
          inFlight += 1;
          expect(inFlight).toBe(1);
        }
        const wasHalfOpen = breaker.state === 'half-open';
        if (prng.bool(0.6)) breaker.onFailure();
        else breaker.onSuccess();
        if (wasHalfOpen) inFlight -= 1;
        if (breaker.state === 'open' && stateBefore !== 'open') openedAt = clock.now();
        if (breaker.state === 'open' && wasHalfOpen) openedAt = clock.now();
      }
    }
  });
});
