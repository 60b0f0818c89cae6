'use strict';

const { createCircuitBreaker, createBreakers } = require('../../../../services/gateway/src/circuit');
const { createFakeClock } = require('../../../../shared/utils/clock');

function failTimes(breaker, n) {
  for (let i = 0; i < n; i += 1) {
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
  }
}

describe('circuit breaker', () => {
  test('opens after the configured number of consecutive failures', () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ clock, failureThreshold: 3, cooldownMs: 1000 });
    failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  test('a success in between resets the failure count', () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ clock, failureThreshold: 2, cooldownMs: 1000 });
    failTimes(breaker, 1);
    breaker.tryAcquire();
    breaker.onSuccess();
    failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  test('after the cooldown exactly one probe is let through', () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ clock, failureThreshold: 1, cooldownMs: 1000 });
    failTimes(breaker, 1);
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  test('a successful probe closes the breaker', () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ clock, failureThreshold: 1, cooldownMs: 1000 });
    failTimes(breaker, 1);
    clock.advance(1000);
    breaker.tryAcquire();
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  test('a failed probe opens the breaker again for a full cooldown', () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ clock, failureThreshold: 1, cooldownMs: 1000 });
    failTimes(breaker, 1);
    clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.tryAcquire()).toBe(true);
  });

  test('retryAfterMs counts down the cooldown', () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ clock, failureThreshold: 1, cooldownMs: 1000 });
    failTimes(breaker, 1);
    clock.advance(300);
    expect(breaker.retryAfterMs()).toBe(700);
  });

  test('each upstream service has its own breaker', () => {
    const clock = createFakeClock(0);
    const breakers = createBreakers({ clock, failureThreshold: 1, cooldownMs: 1000 });
    breakers.for('query').tryAcquire();
    breakers.for('query').onFailure();
    expect(breakers.states()).toEqual({ query: 'open' });
    expect(breakers.for('admin').tryAcquire()).toBe(true);
  });
});
