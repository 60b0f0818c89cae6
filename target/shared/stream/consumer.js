'use strict';

// A consumer in a Redis Streams consumer group.
//
// Entries read with XREADGROUP stay in the group's pending entries list (PEL) under this consumer's
// name until they are acknowledged.

const { EventEmitter } = require('node:events');
const { systemClock } = require('../utils/clock');
const { silentLogger } = require('../utils/logger');
const { ERRORS, createError } = require('../utils/errors');
const { toEntry } = require('./entries');

function required(name, value) {
  if (typeof value !== 'string' || value === '') {
    throw createError(ERRORS.DN_ARGUMENT_INVALID, `createConsumer: ${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
}

/**
 * @param {object} options
 * @param {import('ioredis').Redis} options.redis
 * @param {string} options.stream
 * @param {string} options.group
 * @param {string} options.consumer stable name: a restarted process must reuse it to find its PEL
 * @param {(entry: { id: string, fields: object }, ctx: object) => Promise<unknown>} options.handler
 * @param {number} [options.batch] entries per read (default 10)
 * @param {string} [options.startId] where a newly created group starts (`0`: every entry already
 *   in the stream, `$`: only entries appended later)
 * @param {number} [options.blockMs] BLOCK of the reads in run() (default 5000)
 * @param {number} [options.errorBackoffMs] pause of run() after a failed read (default 1000)
 * @param {{ now(): number, setTimeout: Function, clearTimeout: Function }} [options.clock]
 * @param {object} [options.logger]
 */
function createConsumer({
  redis,
  stream,
  group,
  consumer,
  handler,
  batch = 10,
  startId = '$',
  blockMs = 5000,
  errorBackoffMs = 1000,
  clock = systemClock,
  logger = silentLogger,
}) {
  required('stream', stream);
  required('group', group);
  required('consumer', consumer);
  if (typeof handler !== 'function') throw createError(ERRORS.DN_ARGUMENT_INVALID, 'createConsumer: handler must be a function');
  if (!Number.isInteger(batch) || batch < 1) {
    throw createError(ERRORS.DN_ARGUMENT_INVALID, `createConsumer: batch must be a positive integer, got ${JSON.stringify(batch)}`);
  }

  const events = new EventEmitter();
  let phase = 'pending'; // 'pending': draining our own PEL; 'new': reading with `>`
  let pendingCursor = '>';
  let started = null;
  let stopped = false;
  let running = null;
  let reader = null;
  let backoffTimer = null;
  let wakeBackoff = null;

  function start() {
    if (!started) {
      // Required here rather than at the top: index.js requires this module, so a top-level
      // require would receive index.js's exports before ensureGroup is on them.
      const { ensureGroup } = require('./index');
      started = ensureGroup(redis, stream, group, { startId }).catch((err) => {
        started = null;
        throw err;
      });
    }
    return started;
  }

  async function read(client, id, block) {
    const args = ['GROUP', group, consumer, 'COUNT', batch];
    if (block !== undefined) args.push('BLOCK', block);
    args.push('STREAMS', stream, id);
    const reply = await client.xreadgroup(...args);
    if (!reply || reply.length === 0) return [];
    return reply[0][1].map(toEntry);
  }

  async function processEntries(entries, currentPhase) {
    const result = { phase: currentPhase, read: entries.length, acked: 0, failed: 0 };
    for (const entry of entries) {
      if (stopped) break;
      if (entry.fields === null) {
        // Deleted (or trimmed) while it was pending: nothing left to process.
        await redis.xack(stream, group, entry.id);
        result.acked++;
        continue;
      }
      try {
        await handler(entry, { stream, group, consumer, phase: currentPhase });
      } catch (err) {
        // The entry stays pending: a restart of this consumer or reclaimStale() retries it.
        result.failed++;
        logger.warn({ stream, group, consumer, id: entry.id, err }, 'stream handler failed; entry stays pending');
        events.emit('failed', { id: entry.id, err });
        continue;
      }
      await redis.xack(stream, group, entry.id);
      result.acked++;
      events.emit('processed', { id: entry.id });
    }
    return result;
  }

  /**
   * One iteration: while our PEL has entries, the next batch of them; afterwards the next batch
   * of new entries. Resolves with `{ phase, read, acked, failed }`.
   * @param {{ block?: number }} [options] BLOCK for the read of new entries
   */
  async function poll({ block } = {}) {
    await start();
    if (phase === 'pending') {
      const mine = await read(redis, pendingCursor);
      if (mine.length > 0) {
        // Move past what was read so an entry whose handler keeps failing is not re-read forever.
        pendingCursor = mine[mine.length - 1].id;
        return processEntries(mine, 'pending');
      }
      phase = 'new';
      events.emit('caught-up');
    }
    const fresh = await read(block === undefined ? redis : reader || redis, '>', block);
    return processEntries(fresh, 'new');
  }

  function pause(ms) {
    return new Promise((resolve) => {
      wakeBackoff = resolve;
      backoffTimer = clock.setTimeout(resolve, ms);
    }).finally(() => {
      backoffTimer = null;
      wakeBackoff = null;
    });
  }

  /** Polls until stop(), blocking on a dedicated connection while the stream is idle. */
  function run() {
    if (running) return running;
    stopped = false;
    // A blocked XREADGROUP holds its connection; it gets its own so acks and other commands on
    // `redis` are not queued behind it.
    reader = redis.duplicate();
    running = (async () => {
      try {
        while (!stopped) {
          try {
            await poll({ block: blockMs });
          } catch (err) {
            if (stopped) break;
            logger.warn({ stream, group, consumer, err }, 'stream read failed; retrying');
            events.emit('read-error', err);
            await pause(errorBackoffMs);
          }
        }
      } finally {
        reader.disconnect();
        reader = null;
        running = null;
      }
    })();
    return running;
  }

  /** Stops after the entry being handled; unread entries of the batch stay pending for the restart. */
  async function stop() {
    stopped = true;
    if (backoffTimer) clock.clearTimeout(backoffTimer);
    if (wakeBackoff) wakeBackoff();
    // Interrupts a read blocked in BLOCK; the loop sees `stopped` and ends.
    if (reader) reader.disconnect();
    if (running) await running;
  }

  Object.assign(events, { start, poll, run, stop, name: consumer });
  // A getter: Object.assign would copy the value once.
  Object.defineProperty(events, 'phase', { enumerable: true, get: () => phase });
  return events;
}

module.exports = { createConsumer };
