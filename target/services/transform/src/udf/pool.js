'use strict';

// A fixed pool of worker threads that run tenant UDFs (worker.js). Each call has a time limit on
// the clock; a call that runs past it, or a worker that dies under it (out of memory, crash),
// costs that worker: it is terminated and a fresh one takes its place, so one runaway UDF never
// holds the pool. Calls wait in FIFO order for a free worker.
//
// stats(): calls, compilations (scripts compiled by the workers), timeouts, crashes, restarts.

const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { utils: { systemClock, silentLogger } } = require('../../../../shared');
const { transformError } = require('../errors');

const WORKER_FILE = path.join(__dirname, 'worker.js');

/**
 * @param {object} options
 * @param {number} options.size workers
 * @param {number} options.timeoutMs per call
 * @param {number} options.memoryMb heap limit of each worker
 * @param {object} [options.clock]
 * @param {object} [options.logger]
 */
function createUdfPool({ size, timeoutMs, memoryMb, clock = systemClock, logger = silentLogger }) {
  const slots = [];
  const queue = [];
  const counters = { calls: 0, compilations: 0, timeouts: 0, crashes: 0, restarts: 0 };
  let seq = 0;
  let closed = false;

  function spawn(slot) {
    const worker = new Worker(WORKER_FILE, {
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(2, Math.floor(memoryMb / 8)), stackSizeMb: 4 },
    });
    worker.on('message', (msg) => onMessage(slot, worker, msg));
    worker.on('error', (err) => onDeath(slot, worker, err));
    worker.on('exit', (code) => onDeath(slot, worker, null, code));
    slot.worker = worker;
  }

  function dispatch(slot, call) {
    slot.call = call;
    slot.timer = clock.setTimeout(() => expire(slot), call.timeoutMs);
    slot.worker.postMessage({ seq: call.seq, udf: call.udf, input: call.input });
  }

  function release(slot) {
    slot.call = null;
    const next = queue.shift();
    if (next) dispatch(slot, next);
  }

  function onMessage(slot, worker, msg) {
    const call = slot.call;
    if (slot.worker !== worker || !call || msg.seq !== call.seq) return;
    if (msg.compiled) counters.compilations += 1;
    release(slot);
    clock.clearTimeout(slot.timer);
    if (msg.ok) {
      call.resolve(JSON.parse(msg.json));
    } else {
      call.reject(transformError('TRANSFORM_UDF_FAILED', `UDF ${call.udf.name} v${call.udf.version} failed: ${msg.error.name}: ${msg.error.message}`, { udf: call.udf.name, version: call.udf.version }));
    }
  }

  function expire(slot) {
    const call = slot.call;
    counters.timeouts += 1;
    logger.warn({ udf: call && call.udf.name, timeoutMs: call && call.timeoutMs }, 'UDF call timed out; worker replaced');
    replace(slot, (c) => transformError('TRANSFORM_UDF_TIMEOUT', `UDF ${c.udf.name} v${c.udf.version} ran longer than ${c.timeoutMs} ms`, { udf: c.udf.name, version: c.udf.version }));
  }

  function onDeath(slot, worker, err, code) {
    if (slot.worker !== worker) return;
    counters.crashes += 1;
    const outOfMemory = err && err.code === 'ERR_WORKER_OUT_OF_MEMORY';
    logger.warn({ err: err && err.message, code }, 'UDF worker died; replaced');
    replace(slot, (c) => outOfMemory
      ? transformError('TRANSFORM_UDF_FAILED', `UDF ${c.udf.name} v${c.udf.version} ran out of memory (${memoryMb} MB)`, { udf: c.udf.name, version: c.udf.version })
      : transformError('TRANSFORM_UDF_TERMINATED', `the worker running UDF ${c.udf.name} v${c.udf.version} terminated`, { udf: c.udf.name, version: c.udf.version }));
  }

  /** Terminates the slot's worker, fails its call with `errorFor(call)` and starts a new worker. */
  function replace(slot, errorFor) {
    const { worker, call } = slot;
    clock.clearTimeout(slot.timer);
    slot.timer = null;
    slot.call = null;
    worker.removeAllListeners();
    worker.on('error', () => {});
    worker.terminate().catch(() => {});
    if (call) call.reject(errorFor(call));
    if (closed) return;
    counters.restarts += 1;
    spawn(slot);
    release(slot);
  }

  /**
   * Runs a UDF. `udf` is `{ tenantId, name, version, source }`, `input` plain JSON data.
   * Resolves the UDF's result; rejects TRANSFORM_UDF_FAILED / _TIMEOUT / _TERMINATED.
   */
  function run(udf, input, { timeoutMs: callTimeoutMs = timeoutMs } = {}) {
    if (closed) return Promise.reject(transformError('TRANSFORM_POOL_CLOSED', 'the UDF pool is closed'));
    counters.calls += 1;
    return new Promise((resolve, reject) => {
      const call = {
        seq: (seq += 1),
        udf: { tenantId: udf.tenantId, name: udf.name, version: udf.version, source: udf.source },
        input,
        timeoutMs: callTimeoutMs,
        resolve,
        reject,
      };
      const idle = slots.find((slot) => slot.call === null);
      if (idle) dispatch(idle, call);
      else queue.push(call);
    });
  }

  async function close() {
    if (closed) return;
    closed = true;
    for (const call of queue.splice(0)) call.reject(transformError('TRANSFORM_POOL_CLOSED', 'the UDF pool is closed'));
    const exits = [];
    for (const slot of slots) {
      const { worker, call } = slot;
      clock.clearTimeout(slot.timer);
      slot.call = null;
      worker.removeAllListeners();
      worker.on('error', () => {});
      exits.push(worker.terminate().catch(() => {}));
      if (call) call.reject(transformError('TRANSFORM_POOL_CLOSED', 'the UDF pool is closed'));
    }
    await Promise.all(exits);
  }

  for (let i = 0; i < size; i += 1) {
    const slot = { id: i, worker: null, call: null, timer: null };
    spawn(slot);
    slots.push(slot);
  }

  return {
    run,
    close,
    stats: () => ({ ...counters, size, queued: queue.length, busy: slots.filter((s) => s.call !== null).length }),
  };
}

module.exports = { createUdfPool, WORKER_FILE };
