'use strict';

// Event-time watermarks. Each input partition's watermark is the latest event time seen on it
// minus the out-of-orderness the service tolerates, and never past a record some instance has
// read from it but not finished; the combined watermark, the one windows are closed by, is what
// every partition still producing has passed. A partition that has had no entry for
// `idleTimeoutMs` is idle and holds nothing back. The combined watermark never moves backwards:
// it is kept in Redis with ZADD GT, shared by every instance that reads the same partitions.

const { stream: { toEntry } } = require('../../../shared');
const { streamKey } = require('./state/keys');

const KEYS = Object.freeze({ latest: 'agg:wm', active: 'agg:active', combined: 'agg:wmc' });

function isIdle(part, now, idleTimeoutMs) {
  return now - part.activeAt >= idleTimeoutMs;
}

/**
 * The combined watermark of partitions `[{ partition, watermark, activeAt }]` at processing time
 * `now`; null before any partition has seen an event.
 */
function combineWatermarks(parts, now, idleTimeoutMs) {
  const known = parts.filter((p) => p.watermark !== null);
  if (known.length === 0) return null;
  const marks = known.map((p) => p.watermark);
  // Once every input has been quiet for idleTimeoutMs nothing is left to wait for: the latest
  // input's watermark counts, so the last windows close.
  if (known.every((p) => isIdle(p, now, idleTimeoutMs))) return Math.max(...marks);
  return passedByAll(marks);
}

/**
 * The event time every one of the given watermarks has reached.
 * @param {number[]} marks
 */
function passedByAll(marks) {
  return Math.max(...marks);
}

/**
 * @param {object} deps
 * @param {import('ioredis').Redis} deps.redis
 * @param {{ now(): number }} deps.clock
 * @param {number} deps.partitions
 * @param {number} deps.idleTimeoutMs
 * @param {number} [deps.outOfOrderMs]
 * @param {string} [deps.group] the partitions' consumer group
 */
function createWatermarks({ redis, clock, partitions, idleTimeoutMs, outOfOrderMs = 0, group = 'aggregate' }) {
  /** Records the latest event time of a batch read from `partition`. One round trip. */
  async function observe(partition, latestTs) {
    await redis
      .pipeline()
      .zadd(KEYS.latest, 'GT', latestTs, String(partition))
      .zadd(KEYS.active, clock.now(), String(partition))
      .exec();
  }

  /**
   * Event time of the oldest entry of each partition that some instance has read but not
   * finished (the group's pending list): a partition's watermark never passes it, or another
   * instance's records still in flight would arrive after their windows closed.
   */
  async function oldestPending() {
    const pipe = redis.pipeline();
    for (let p = 0; p < partitions; p += 1) pipe.xpending(streamKey(p), group);
    const summaries = await pipe.exec();
    const ids = summaries.map(([err, summary]) => (!err && summary && summary[0] > 0 ? summary[1] : null));
    const reads = redis.pipeline();
    ids.forEach((id, p) => {
      if (id !== null) reads.xrange(streamKey(p), id, id);
    });
    const entries = ids.some((id) => id !== null) ? await reads.exec() : [];
    const out = new Map();
    let i = 0;
    ids.forEach((id, p) => {
      if (id === null) return;
      const [err, found] = entries[i++];
      if (err || found.length === 0) return;
      const e = toEntry(found[0]);
      if (e.fields && e.fields.e) out.set(p, JSON.parse(e.fields.e).ts);
    });
    return out;
  }

  /** `[{ partition, watermark, activeAt }]` of every partition (watermark null before its first event). */
  async function partitionsState() {
    const [[e1, latest], [e2, active]] = await redis
      .pipeline()
      .zrange(KEYS.latest, 0, -1, 'WITHSCORES')
      .zrange(KEYS.active, 0, -1, 'WITHSCORES')
      .exec();
    if (e1 || e2) throw e1 || e2;
    const latestBy = pairs(latest);
    const activeBy = pairs(active);
    const pending = await oldestPending();
    const out = [];
    for (let p = 0; p < partitions; p += 1) {
      const ts = latestBy.get(String(p));
      let watermark = ts === undefined ? null : ts - outOfOrderMs;
      if (watermark !== null && pending.has(p)) watermark = Math.min(watermark, pending.get(p));
      out.push({ partition: p, watermark, activeAt: activeBy.has(String(p)) ? activeBy.get(String(p)) : null });
    }
    return out;
  }

  /**
   * The combined watermark now: computed from the partitions, and never below what it already
   * was (stored with ZADD GT). Null before the first event.
   */
  async function current() {
    const parts = await partitionsState();
    const computed = combineWatermarks(parts, clock.now(), idleTimeoutMs);
    return raiseTo(computed);
  }

  /** Moves the combined watermark up to `value` (never down); resolves the combined watermark. */
  async function raiseTo(value) {
    const pipe = redis.pipeline();
    if (value !== null) pipe.zadd(KEYS.combined, 'GT', value, 'combined');
    pipe.zscore(KEYS.combined, 'combined');
    const replies = await pipe.exec();
    const [err, stored] = replies[replies.length - 1];
    if (err) throw err;
    return stored === null ? null : Number(stored);
  }

  async function describe() {
    const parts = await partitionsState();
    const now = clock.now();
    const combined = await raiseTo(null);
    return {
      combined,
      partitions: parts.map((p) => ({ ...p, idle: p.activeAt === null ? true : isIdle(p, now, idleTimeoutMs) })),
    };
  }

  return { observe, current, raiseTo, describe, partitionsState };
}

function pairs(flat) {
  const map = new Map();
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i], Number(flat[i + 1]));
  return map;
}

module.exports = { createWatermarks, combineWatermarks, isIdle, WATERMARK_KEYS: KEYS };
