'use strict';

const { createFakeClock } = require('../../../../shared/utils/clock');
const { silentLogger } = require('../../../../shared/utils/logger');
const { createBuffer } = require('../../../../services/ingestion/src/buffer');
const { parseConfig } = require('../../../../services/ingestion/src/config');
const { createDeferred } = require('../../../support/deferred');

const FLUSH_MS = 1000;

/** A sink that records each batch it is given (a copy, as a database write would) and waits on `gate()`. */
function recordingSink(gate = () => Promise.resolve()) {
  const batches = [];
  const sink = (batch) => {
    batches.push(batch.map((e) => e.id));
    return gate(batches.length);
  };
  return { sink, batches };
}

const ev = (from, n) => Array.from({ length: n }, (_, i) => ({ id: from + i }));

function buffer(sink, clock, { batchSize = 10, maxEvents = 10_000 } = {}) {
  return createBuffer({ sink, clock, batchSize, flushMs: FLUSH_MS, maxEvents, logger: silentLogger });
}

describe('size-triggered writes', () => {
  test.each([
    [10, 3, 4],
    [10, 4, 3],
    [7, 5, 2],
  ])('batch size %i, requests of %i events: a write starts at the request that reaches the size (request %i)', async (batchSize, perRequest, requests) => {
    const clock = createFakeClock();
    const { sink, batches } = recordingSink();
    const buf = buffer(sink, clock, { batchSize });
    for (let r = 0; r < requests; r++) buf.push(ev(r * perRequest, perRequest));
    await clock.flushMicrotasks();
    expect(batches).toEqual([ev(0, perRequest * requests).map((e) => e.id)]);
  });

  test('one request larger than the batch size is written at once', async () => {
    const clock = createFakeClock();
    const { sink, batches } = recordingSink();
    const buf = buffer(sink, clock, { batchSize: 10 });
    buf.push(ev(0, 25));
    await clock.flushMicrotasks();
    expect(batches).toEqual([ev(0, 25).map((e) => e.id)]);
  });

  test('the batch size set in the environment triggers the write', async () => {
    const config = parseConfig({ INTERNAL_TOKEN: 't', INGEST_BATCH_SIZE: '100' });
    const clock = createFakeClock();
    const { sink, batches } = recordingSink();
    const buf = buffer(sink, clock, { batchSize: config.INGEST_BATCH_SIZE });
    for (let i = 0; i < 99; i++) buf.push(ev(i, 1));
    await clock.flushMicrotasks();
    expect(batches).toEqual([]);
    buf.push(ev(99, 1));
    await clock.flushMicrotasks();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(100);
  });
});

describe('timer-triggered writes', () => {
  test('fewer events than the batch size are written flushMs after the first arrived', async () => {
    const clock = createFakeClock();
    const { sink, batches } = recordingSink();
    const buf = buffer(sink, clock);
    buf.push(ev(0, 2));
    await clock.advanceAsync(400);
    buf.push(ev(2, 1));
    await clock.advanceAsync(FLUSH_MS - 401);
    expect(batches).toEqual([]);
    await clock.advanceAsync(1);
    expect(batches).toEqual([[0, 1, 2]]);
  });
});

describe('writes in flight', () => {
  test.each([
    [3, [2]],
    [5, [1, 1, 1]],
    [4, [3, 2]],
  ])('events pushed while a write of %i is in flight go into the next write (pushes %j)', async (batchSize, later) => {
    const clock = createFakeClock();
    const first = createDeferred();
    const { sink, batches } = recordingSink((n) => (n === 1 ? first.promise : Promise.resolve()));
    const buf = buffer(sink, clock, { batchSize });
    buf.push(ev(0, batchSize));
    await clock.flushMicrotasks();
    expect(batches).toHaveLength(1);
    let next = batchSize;
    for (const n of later) {
      buf.push(ev(next, n));
      next += n;
    }
    first.resolve();
    await clock.flushMicrotasks();
    await buf.flush();
    expect(batches.flat()).toEqual(ev(0, next).map((e) => e.id));
    expect(batches[1]).toEqual(ev(batchSize, next - batchSize).map((e) => e.id));
  });

  test('a failed write keeps its events, in order, ahead of newer ones, and retries them', async () => {
    const clock = createFakeClock();
    const first = createDeferred();
    const { sink, batches } = recordingSink((n) => (n === 1 ? first.promise : Promise.resolve()));
    const buf = buffer(sink, clock, { batchSize: 3 });
    buf.push(ev(0, 3));
    await clock.flushMicrotasks();
    buf.push(ev(3, 1));
    first.reject(Object.assign(new Error('connection terminated'), { code: '57P01' }));
    await clock.flushMicrotasks();
    await clock.advanceAsync(FLUSH_MS);
    expect(batches[0]).toEqual([0, 1, 2]);
    expect(batches.at(-1)).toEqual([0, 1, 2, 3]);
    expect(buf.stats().held).toBe(0);
  });
});

describe('back-pressure', () => {
  test('events over the maximum are refused whole with INGEST_BUFFER_FULL, events in a write count', async () => {
    const clock = createFakeClock();
    const first = createDeferred();
    const { sink, batches } = recordingSink((n) => (n === 1 ? first.promise : Promise.resolve()));
    const buf = buffer(sink, clock, { batchSize: 4, maxEvents: 6 });
    buf.push(ev(0, 4));
    await clock.flushMicrotasks();
    buf.push(ev(4, 2));
    expect(() => buf.push(ev(6, 1))).toThrow(expect.objectContaining({ code: 'INGEST_BUFFER_FULL', statusCode: 503 }));
    first.resolve();
    await clock.flushMicrotasks();
    buf.push(ev(6, 1));
    await buf.flush();
    expect(batches.flat()).toEqual(ev(0, 7).map((e) => e.id));
  });
});

describe('timers', () => {
  test('at most one timer is pending across many timer-triggered cycles', async () => {
    const clock = createFakeClock();
    const { sink, batches } = recordingSink();
    const buf = buffer(sink, clock, { batchSize: 1000 });
    for (let cycle = 0; cycle < 200; cycle++) {
      buf.push(ev(cycle, 1));
      expect(clock.timerCount()).toBeLessThanOrEqual(1);
      await clock.advanceAsync(FLUSH_MS);
    }
    expect(batches).toHaveLength(200);
    expect(clock.timerCount()).toBeLessThanOrEqual(1);
  });

  test('close writes what is held and leaves no timer behind', async () => {
    const clock = createFakeClock();
    const { sink, batches } = recordingSink();
    const buf = buffer(sink, clock);
    buf.push(ev(0, 3));
    await buf.close();
    expect(batches).toEqual([[0, 1, 2]]);
    expect(clock.timerCount()).toBe(0);
    expect(() => buf.push(ev(3, 1))).toThrow(expect.objectContaining({ code: 'INGEST_BUFFER_FULL' }));
  });
});
