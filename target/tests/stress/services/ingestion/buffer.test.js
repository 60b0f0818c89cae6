'use strict';

const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createBuffer } = require('../../../../services/ingestion/src/buffer');
const { createDeferred } = require('../../../support/deferred');

// Thousands of events with shuffled interleavings of pushes, timer ticks, write completions and
// write failures: every accepted event is written exactly once, and batches are in arrival order.

const FLUSH_MS = 100;

function harness(seed, { batchSize, maxEvents = 1_000_000 }) {
  const prng = createPrng(seed);
  const clock = createFakeClock(0);
  const writes = []; // { ids, deferred }
  const written = [];
  const sink = (batch) => {
    const ids = batch.map((e) => e.id);
    const deferred = createDeferred();
    writes.push({ ids, deferred });
    return deferred.promise.then(() => written.push(...ids));
  };
  const buf = createBuffer({ sink, clock, batchSize, flushMs: FLUSH_MS, maxEvents, logger: silentLogger });
  return { prng, clock, writes, written, buf };
}

async function settleAll({ clock, writes, buf }) {
  for (let guard = 0; guard < 10_000; guard++) {
    const open = writes.filter((w) => w.deferred.state === 'pending');
    if (open.length === 0 && buf.stats().held === 0) return;
    for (const w of open) w.deferred.resolve();
    await clock.flushMicrotasks();
    await clock.advanceAsync(FLUSH_MS);
  }
  throw new Error('buffer did not settle');
}

describe('shuffled interleavings', () => {
  test.each([1, 2, 3, 4, 5])('seed %i: 3000 events, random pushes, ticks, completions and failures: each written once, in order', async (seed) => {
    const h = harness(seed, { batchSize: 50 });
    const { prng, clock, writes, buf } = h;
    let next = 0;
    while (next < 3000) {
      const step = prng.int(0, 9);
      if (step < 5) {
        const n = prng.int(1, 40);
        buf.push(Array.from({ length: n }, (_, i) => ({ id: next + i })));
        next += n;
      } else if (step < 7) {
        const open = writes.filter((w) => w.deferred.state === 'pending');
        if (open.length) {
          const w = open[0];
          if (prng.bool(0.15)) w.deferred.reject(new Error('connection terminated'));
          else w.deferred.resolve();
        }
      } else if (step < 9) {
        await clock.advanceAsync(prng.int(1, FLUSH_MS));
      } else {
        await clock.flushMicrotasks();
      }
    }
    await settleAll(h);
    expect(h.written).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  test.each([11, 13])('seed %i: pushes only while writes are in flight never lose an event', async (seed) => {
    const h = harness(seed, { batchSize: 7 });
    const { prng, clock, buf } = h;
    let next = 0;
    for (let round = 0; round < 300; round++) {
      const n = prng.int(1, 12);
      buf.push(Array.from({ length: n }, (_, i) => ({ id: next + i })));
      next += n;
      if (prng.bool(0.3)) await clock.flushMicrotasks();
    }
    await settleAll(h);
    expect(h.written).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});

describe('many cycles', () => {
  test('1000 size-triggered cycles make 1000 writes and leave at most one timer', async () => {
    const clock = createFakeClock(0);
    let writes = 0;
    const buf = createBuffer({ sink: async () => { writes++; }, clock, batchSize: 10, flushMs: FLUSH_MS, maxEvents: 100, logger: silentLogger });
    for (let cycle = 0; cycle < 1000; cycle++) {
      buf.push(Array.from({ length: 10 }, (_, i) => ({ id: cycle * 10 + i })));
      await clock.flushMicrotasks();
    }
    await clock.advanceAsync(10 * FLUSH_MS);
    expect(writes).toBe(1000);
    expect(clock.timerCount()).toBeLessThanOrEqual(1);
  });

  test('500 timer-triggered cycles make 500 writes and leave at most one timer', async () => {
    const clock = createFakeClock(0);
    let writes = 0;
    const buf = createBuffer({ sink: async () => { writes++; }, clock, batchSize: 1000, flushMs: FLUSH_MS, maxEvents: 100, logger: silentLogger });
    for (let cycle = 0; cycle < 500; cycle++) {
      buf.push([{ id: cycle }, { id: -cycle }]);
      await clock.advanceAsync(FLUSH_MS);
    }
    expect(writes).toBe(500);
    expect(clock.timerCount()).toBeLessThanOrEqual(1);
  });
});
