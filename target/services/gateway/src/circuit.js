'use strict';

// One breaker per upstream service. closed: every call passes and consecutive failures are
// counted. open: calls are refused until `cooldownMs` has passed. half-open: a single probe is
// let through; `successThreshold` successful probes close the breaker.

const STATES = Object.freeze({ CLOSED: 'closed', OPEN: 'open', HALF_OPEN: 'half-open' });

function createCircuitBreaker({ clock, failureThreshold = 5, cooldownMs = 10000, successThreshold = 1 } = {}) {
  let state = STATES.CLOSED;
  let failures = 0;
  let successes = 0;
  let openedAt = 0;
  let probeInFlight = false;

  function open() {
    state = STATES.OPEN;
    openedAt = clock.now();
    successes = 0;
    probeInFlight = false;
  }

  return {
    /** Asks to send one call; `true` means the caller must report its outcome. */
    tryAcquire() {
      if (state === STATES.OPEN) {
        if (clock.now() - openedAt < cooldownMs) return false;
        state = STATES.HALF_OPEN;
        successes = 0;
        probeInFlight = false;
      }
      if (state === STATES.HALF_OPEN) {
        if (probeInFlight) return false;
        probeInFlight = true;
      }
      return true;
    },
    onSuccess() {
      if (state === STATES.HALF_OPEN) {
        probeInFlight = false;
        successes += 1;
        if (successes >= successThreshold) {
          state = STATES.CLOSED;
          failures = 0;
        }
        return;
      }
      failures = 0;
    },
    onFailure() {
      if (state === STATES.HALF_OPEN) {
        successes = 0;
        probeInFlight = false;
        return;
      }
      failures += 1;
      if (state === STATES.CLOSED && failures >= failureThreshold) open();
    },
    /** Time left before an open breaker lets a probe through. */
    retryAfterMs() {
      return state === STATES.OPEN ? Math.max(0, cooldownMs - (clock.now() - openedAt)) : 0;
    },
    get state() {
      return state;
    },
  };
}

function createBreakers(options) {
  const breakers = new Map();
  return {
    for(service) {
      let breaker = breakers.get(service);
      if (!breaker) {
        breaker = createCircuitBreaker(options);
        breakers.set(service, breaker);
      }
      return breaker;
    },
    states() {
      return Object.fromEntries([...breakers].map(([name, b]) => [name, b.state]));
    },
  };
}

module.exports = { createCircuitBreaker, createBreakers, STATES };
