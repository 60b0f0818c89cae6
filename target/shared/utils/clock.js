'use strict';

// Every component takes its time and its timers from a clock passed in. Production passes
// `systemClock`; tests pass `createFakeClock()` and move time explicitly, so nothing depends on
// how fast the machine is.

// Captured from the timers module rather than the global: jest's fake timers replace the globals,
// and advanceAsync must still be able to yield to the real event loop.
const { setImmediate: realSetImmediate } = require('node:timers');

const TIMEOUT_MAX = 2 ** 31 - 1;

const systemClock = Object.freeze({
  now: () => Date.now(),
  date: () => new Date(Date.now()),
  setTimeout: (fn, ms, ...args) => setTimeout(fn, ms, ...args),
  clearTimeout: (handle) => clearTimeout(handle),
  setInterval: (fn, ms, ...args) => setInterval(fn, ms, ...args),
  clearInterval: (handle) => clearInterval(handle),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

/** Resolves after the microtask queue has drained (one real macrotask turn). */
function flushMicrotasks() {
  return new Promise((resolve) => realSetImmediate(resolve));
}

// Like Node, a delay is coerced to a number and an invalid one (NaN, negative, too large) becomes
// 1 ms. Unlike Node, 0 stays 0 so `advance(0)` runs immediately-due timers.
function normaliseDelay(ms) {
  const n = Number(ms);
  if (n === 0) return 0;
  if (!(n >= 1 && n <= TIMEOUT_MAX)) return 1;
  return n;
}

class FakeTimer {
  constructor(id, due, fn, args, interval) {
    this.id = id;
    this.due = due;
    this.fn = fn;
    this.args = args;
    this.interval = interval;
  }
  // Node timer API surface used by production code (e.g. `timer.unref()` so a heartbeat does
  // not keep a process alive).
  unref() {
    return this;
  }
  ref() {
    return this;
  }
  hasRef() {
    return true;
  }
  [Symbol.toPrimitive]() {
    return this.id;
  }
}

/**
 * A manually driven clock with the systemClock interface.
 * @param {number} [startMs]
 */
function createFakeClock(startMs = 0) {
  let now = Number(startMs);
  let nextId = 1;
  let seq = 0;
  const timers = new Map(); // id -> FakeTimer; insertion order breaks ties between equal due times
  const order = new Map(); // id -> sequence number of the latest (re)scheduling

  function schedule(fn, ms, args, repeat) {
    if (typeof fn !== 'function') throw new TypeError('callback must be a function');
    const delay = normaliseDelay(ms);
    const interval = repeat ? Math.max(delay, 1) : null;
    const timer = new FakeTimer(nextId++, now + (repeat ? interval : delay), fn, args, interval);
    timers.set(timer.id, timer);
    order.set(timer.id, seq++);
    return timer;
  }

  function clear(handle) {
    if (handle == null) return;
    const id = typeof handle === 'object' ? handle.id : Number(handle);
    timers.delete(id);
    order.delete(id);
  }

  function nextDue(limit) {
    let best = null;
    for (const t of timers.values()) {
      if (t.due > limit) continue;
      if (best === null || t.due < best.due || (t.due === best.due && order.get(t.id) < order.get(best.id))) best = t;
    }
    return best;
  }

  function fire(timer) {
    now = Math.max(now, timer.due);
    if (timer.interval !== null) {
      timer.due += timer.interval;
      order.set(timer.id, seq++);
    } else {
      timers.delete(timer.id);
      order.delete(timer.id);
    }
    timer.fn(...timer.args);
  }

  const clock = {
    now: () => now,
    date: () => new Date(now),
    setTimeout: (fn, ms, ...args) => schedule(fn, ms, args, false),
    clearTimeout: clear,
    setInterval: (fn, ms, ...args) => schedule(fn, ms, args, true),
    clearInterval: clear,
    sleep(ms) {
      return new Promise((resolve) => schedule(resolve, ms, [], false));
    },

    /**
     * Moves time forward by `ms`, firing every timer that falls due on the way, each at its own
     * due time and in due-time order (ties in scheduling order). Timers scheduled by a callback that
     * fall inside the window fire too. Returns the number of callbacks run.
     */
    advance(ms) {
      const target = now + Math.max(0, Number(ms) || 0);
      let fired = 0;
      for (let t = nextDue(target); t !== null; t = nextDue(target)) {
        fire(t);
        fired++;
      }
      now = target;
      return fired;
    },

    /**
     * Like advance, but lets promise continuations run before each timer and after the last, so
     * async code that awaits a timer (sleep, backoff, heartbeat) progresses as it would in real time.
     */
    async advanceAsync(ms) {
      const target = now + Math.max(0, Number(ms) || 0);
      let fired = 0;
      await flushMicrotasks();
      for (let t = nextDue(target); t !== null; t = nextDue(target)) {
        fire(t);
        fired++;
        await flushMicrotasks();
      }
      now = target;
      await flushMicrotasks();
      return fired;
    },

    /** Fires timers until none is left; throws when more than `limit` fire (a live interval). */
    runAll(limit = 10_000) {
      let fired = 0;
      for (let t = nextDue(Infinity); t !== null; t = nextDue(Infinity)) {
        if (fired >= limit) throw new Error(`runAll: more than ${limit} timers fired; an interval is still scheduled`);
        fire(t);
        fired++;
      }
      return fired;
    },

    async runAllAsync(limit = 10_000) {
      let fired = 0;
      await flushMicrotasks();
      for (let t = nextDue(Infinity); t !== null; t = nextDue(Infinity)) {
        if (fired >= limit) throw new Error(`runAllAsync: more than ${limit} timers fired; an interval is still scheduled`);
        fire(t);
        fired++;
        await flushMicrotasks();
      }
      return fired;
    },

    /** Pending timers, earliest first: `{ id, due, interval }` (interval null for timeouts). */
    pendingTimers() {
      return [...timers.values()]
        .sort((a, b) => a.due - b.due || order.get(a.id) - order.get(b.id))
        .map((t) => ({ id: t.id, due: t.due, interval: t.interval }));
    },

    timerCount: () => timers.size,
    flushMicrotasks,
  };
  return clock;
}

module.exports = { systemClock, createFakeClock, flushMicrotasks, TIMEOUT_MAX };
