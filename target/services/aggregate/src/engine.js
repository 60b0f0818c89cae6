'use strict';

// The aggregation engine of one instance: it reads its share of the stream partitions (consumer
// group `aggregate`), applies each routed record to the windows it falls in, moves the combined
// watermark, emits the windows the watermark has passed, drops the state of windows past their
// allowed lateness, and publishes what is waiting in the outbox.
//
// After every batch read from a partition and on every tick (AGGREGATE_TICK_MS) it "advances":
// the tick is what lets idle partitions stop holding windows back.

const { stream: { createConsumer, reclaimStale } } = require('../../../shared');
const { isDue } = require('./windows/trigger');
const { windowEnvelope, EMITTED_TYPE } = require('./emit');
const K = require('./state/keys');

const GROUP = 'aggregate';
const RECLAIM_EVERY = 30;

/**
 * @param {object} deps
 * @param {object} deps.config
 * @param {object} deps.clock
 * @param {import('ioredis').Redis} deps.redis
 * @param {object} deps.state state/redisState.js
 * @param {object} deps.watermarks watermark.js
 * @param {Function} deps.applyEntry apply.js
 * @param {{ publish(routingKey, envelope): Promise }} deps.publisher
 * @param {import('node:events').EventEmitter} deps.emitter
 * @param {object} deps.logger
 */
function createEngine({ config, clock, redis, state, sessions, watermarks, applyEntry, publisher, emitter, logger, consumerName }) {
  const partitions = Array.from({ length: config.AGGREGATE_PARTITIONS }, (_, p) => p);
  const stats = { processed: 0, added: 0, duplicate: 0, late: 0, emitted: 0, publishFailures: 0, dropped: 0 };
  let watermark = null;

  const latestRead = new Map(); // partition -> latest event time handled since its last observe

  async function handleEntry(p, entry) {
    const routed = { id: entry.fields.id, tenantId: entry.fields.t, topic: entry.fields.topic, record: JSON.parse(entry.fields.e) };
    const counts = await applyEntry(routed, watermark);
    stats.processed += 1;
    for (const k of Object.keys(counts)) stats[k] += counts[k];
    latestRead.set(p, Math.max(latestRead.get(p) ?? -Infinity, routed.record.ts));
    emitter.emit('processed', { id: routed.id, partition: p, ...counts });
  }

  async function observeRead(p) {
    if (!latestRead.has(p)) return;
    const ts = latestRead.get(p);
    latestRead.delete(p);
    await watermarks.observe(p, ts);
  }

  function consumerFor(p, client) {
    const consumer = createConsumer({
      redis: client,
      stream: K.streamKey(p),
      group: GROUP,
      consumer: `${consumerName}-${p}`,
      batch: config.AGGREGATE_BATCH,
      startId: '0',
      clock,
      logger,
      handler: (entry) => handleEntry(p, entry),
    });
    /** One read of the partition; resolves how many entries it read. */
    async function readOnce(block) {
      const result = await consumer.poll(block === undefined ? {} : { block });
      await observeRead(p);
      return result.read;
    }
    return { consumer, readOnce };
  }

  // --- advancing: triggers, state GC, outbox ------------------------------------------------

  async function emitWindow(wid, wm) {
    const current = await state.read(wid);
    if (!current) return;
    if (!isDue(current.window, wm)) return;
    if (current.acc.n <= current.emittedN) {
      await state.stage(current, null);
      return;
    }
    const envelope = windowEnvelope(current, current.rev + 1, clock);
    if (await state.stage(current, envelope)) await publishOne(envelope);
  }

  async function publishOne(envelope) {
    try {
      await publisher.publish(EMITTED_TYPE, envelope);
    } catch (err) {
      // Stays in the outbox; the next advance publishes it again under the same id.
      stats.publishFailures += 1;
      logger.warn({ err, id: envelope.id }, 'window event not confirmed; kept in the outbox');
      return false;
    }
    await state.confirmed(envelope.id);
    stats.emitted += 1;
    emitter.emit('emitted', envelope);
    return true;
  }

  async function flushOutbox() {
    for (const envelope of await state.outbox()) {
      if (!(await publishOne(envelope))) return;
    }
  }

  async function collect(wm) {
    for (const wid of await state.expiredIds(wm)) {
      const gone = await state.read(wid);
      await state.drop(wid);
      if (gone && gone.window.kind === 'session') await sessions.forget(gone.window);
      stats.dropped += 1;
    }
  }

  async function advanceOnce() {
    await flushOutbox();
    const wm = await watermarks.current();
    if (wm === null) return null;
    watermark = wm;
    for (const wid of await state.dueIds(wm)) await emitWindow(wid, wm);
    await collect(wm);
    emitter.emit('advanced', { watermark: wm });
    return wm;
  }

  // Advances never overlap within an instance; one asked for during a run runs after it.
  let advancing = null;
  let again = false;
  function advance() {
    if (advancing) {
      again = true;
      return advancing;
    }
    advancing = (async () => {
      let wm;
      do {
        again = false;
        wm = await advanceOnce();
      } while (again);
      return wm;
    })().finally(() => {
      advancing = null;
    });
    return advancing;
  }

  function safeAdvance() {
    return advance().catch((err) => {
      logger.warn({ err }, 'advance failed; retried on the next tick');
      emitter.emit('advance-failed', err);
    });
  }

  // --- reading ------------------------------------------------------------------------------

  const readers = new Map(); // partition -> { consumer, readOnce } on the shared connection
  function readerFor(p) {
    if (!readers.has(p)) readers.set(p, consumerFor(p, redis));
    return readers.get(p);
  }

  /**
   * Reads every partition until nothing is left, then advances. For bounded replays and tests;
   * not while run() is running. Resolves the number of entries read.
   */
  async function pump() {
    if (watermark === null) watermark = await watermarks.raiseTo(null);
    let total = 0;
    for (const p of partitions) {
      const { readOnce } = readerFor(p);
      for (;;) {
        const n = await readOnce();
        total += n;
        if (n === 0) break;
      }
    }
    await advance();
    return total;
  }

  /**
   * Takes over the entries other consumers of the group read but never finished (an instance that
   * crashed and came back under another name) once they have been idle `minIdleMs` (Redis time),
   * and handles them. Resolves the number handled.
   */
  async function reclaim(minIdleMs = config.AGGREGATE_RECLAIM_IDLE_MS) {
    let handled = 0;
    for (const p of partitions) {
      const r = await reclaimStale({ redis, stream: K.streamKey(p), group: GROUP, consumer: `${consumerName}-${p}`, minIdleMs, handler: (entry) => handleEntry(p, entry), logger });
      await observeRead(p);
      handled += r.processed;
    }
    return handled;
  }

  /**
   * End of input: the watermark moves to the end of the latest window with something not yet
   * emitted, so every window is emitted.
   */
  async function drain() {
    const end = await state.latestOpenEnd();
    if (end !== null) await watermarks.raiseTo(end);
    return advance();
  }

  let loops = [];
  let timer = null;
  let ticks = 0;
  let stopped = false;

  function loop(p) {
    const client = redis.duplicate();
    const { readOnce } = consumerFor(p, client);
    const done = (async () => {
      while (!stopped) {
        try {
          const n = await readOnce(config.AGGREGATE_BLOCK_MS);
          if (n > 0) await safeAdvance();
        } catch (err) {
          if (stopped) break;
          emitter.emit('read-error', { partition: p, err });
          logger.warn({ err, partition: p }, 'partition read failed; retrying');
          await new Promise((resolve) => {
            const t = clock.setTimeout(resolve, config.AGGREGATE_TICK_MS);
            stopWaiters.add(() => {
              clock.clearTimeout(t);
              resolve();
            });
          });
        }
      }
    })();
    return { client, done };
  }
  const stopWaiters = new Set();

  /** Starts reading every partition and the tick. */
  async function run() {
    stopped = false;
    // The watermark other instances (or this one before a restart) reached decides lateness now.
    watermark = await watermarks.raiseTo(null);
    loops = partitions.map(loop);
    timer = clock.setInterval(() => {
      ticks += 1;
      // Stranded entries are looked for every RECLAIM_EVERY ticks: XAUTOCLAIM scans the pending list.
      if (ticks % RECLAIM_EVERY === 0) reclaim().catch((err) => logger.warn({ err }, 'reclaim failed'));
      safeAdvance();
    }, config.AGGREGATE_TICK_MS);
  }

  async function stop({ drainWindows = false } = {}) {
    stopped = true;
    if (timer) clock.clearInterval(timer);
    timer = null;
    for (const wake of stopWaiters) wake();
    stopWaiters.clear();
    for (const { client } of loops) client.disconnect();
    await Promise.all(loops.map((l) => l.done));
    loops = [];
    if (advancing) await advancing.catch(() => {});
    if (drainWindows) await drain();
  }

  return {
    pump,
    advance,
    drain,
    reclaim,
    run,
    stop,
    watermark: () => watermark,
    stats: () => ({ ...stats }),
    partitions,
  };
}

module.exports = { createEngine, GROUP };
