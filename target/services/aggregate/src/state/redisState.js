'use strict';

// Window state in Redis, shared by every aggregate instance reading the same partitions: one hash
// per window (its identity, accumulator and emission bookkeeping), the set of event ids already
// counted in it (so an entry processed again after a crash is not counted twice), and two sorted
// sets that say which windows may need emitting (`open`, by end) and when each can be dropped
// (`gc`, by end + allowed lateness).

const { emptyAccumulator, accumulate, mergeAccumulators, decodeAccumulator, encodeAccumulator } = require('../functions/accumulator');
const K = require('./keys');

// Emission claim: the window is unchanged since it was read (same count, same revision), so the
// revision is taken and the event staged in the outbox in one step; a window with nothing new is
// only taken off the open list. Returns 1 when done, 0 when the window changed meanwhile.
const STAGE = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if n ~= tonumber(ARGV[1]) or rev ~= tonumber(ARGV[2]) then return 0 end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'rev', rev + 1, 'en', n)
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
end
redis.call('ZREM', KEYS[3], ARGV[3])
return 1
`;

function metaFields(window, def) {
  return {
    t: window.tenantId,
    r: window.rollupId,
    s: window.seriesKey,
    k: window.kind,
    ws: String(window.start),
    we: String(window.end),
    x: String(window.expiresAt),
    f: def.functions.join(','),
    b: def.bounds.join(','),
  };
}

function parseWindow(wid, hash) {
  if (!hash || hash.t === undefined) return null;
  const bounds = hash.b ? hash.b.split(',').map(Number) : [];
  return {
    wid,
    window: { tenantId: hash.t, rollupId: hash.r, seriesKey: hash.s, kind: hash.k, start: Number(hash.ws), end: Number(hash.we), expiresAt: Number(hash.x) },
    def: { functions: hash.f ? hash.f.split(',') : [], bounds },
    acc: decodeAccumulator(hash, bounds),
    rev: Number(hash.rev || 0),
    emittedN: Number(hash.en || 0),
  };
}

/**
 * @param {object} deps
 * @param {import('ioredis').Redis} deps.redis
 */
function createRedisState({ redis }) {
  redis.defineCommand('aggStage', { numberOfKeys: 3, lua: STAGE });

  /**
   * Counts `value` of event `eventId` in `window` (`{ tenantId, rollupId, seriesKey, kind, start,
   * end, expiresAt }`) of rollup `def`. Resolves 'added', or 'duplicate' for an event already in it.
   */
  async function add(window, def, eventId, value) {
    const wid = K.windowId(window);
    const fresh = await redis.sadd(K.seenKey(wid), eventId);
    if (fresh === 0) return 'duplicate';
    const acc = decodeAccumulator(await redis.hgetall(K.windowKey(wid)), def.bounds);
    const next = accumulate(acc, value, def.bounds);
    await redis
      .multi()
      .hset(K.windowKey(wid), { ...metaFields(window, def), ...encodeAccumulator(next) })
      .zadd(K.OPEN, window.end, wid)
      .zadd(K.GC, window.expiresAt, wid)
      .exec();
    return 'added';
  }

  /** A window's state, or null when it does not exist (any more). */
  async function read(wid) {
    return parseWindow(wid, await redis.hgetall(K.windowKey(wid)));
  }

  /** Ids of windows with unemitted changes whose end is at or before `watermark`. */
  function dueIds(watermark) {
    return redis.zrangebyscore(K.OPEN, '-inf', watermark);
  }

  /** The latest end of a window with unemitted changes, or null. */
  async function latestOpenEnd() {
    const top = await redis.zrevrange(K.OPEN, 0, 0, 'WITHSCORES');
    return top.length ? Number(top[1]) : null;
  }

  /**
   * Claims revision `state.rev + 1` of a read window and stages its event in the outbox; with
   * no envelope, only takes the window off the open list. False when the window changed since it
   * was read (it stays open and is looked at again).
   */
  async function stage(state, envelope) {
    const id = envelope ? envelope.id : '';
    const json = envelope ? JSON.stringify(envelope) : '';
    const done = await redis.aggStage(K.windowKey(state.wid), K.OUTBOX, K.OPEN, state.acc.n, state.rev, state.wid, id, json);
    return done === 1;
  }

  async function outbox() {
    const all = await redis.hgetall(K.OUTBOX);
    return Object.values(all).map((json) => JSON.parse(json));
  }

  function confirmed(envelopeId) {
    return redis.hdel(K.OUTBOX, envelopeId);
  }

  /** Ids of windows whose state may be dropped at `watermark`. */
  function expiredIds(watermark) {
    return redis.zrangebyscore(K.GC, '-inf', watermark);
  }

  async function drop(wid) {
    await redis.multi().del(K.windowKey(wid)).zrem(K.OPEN, wid).zrem(K.GC, wid).exec();
  }

  /** True when event `eventId` is already counted in one of the windows `wids`. */
  async function contains(wids, eventId) {
    const pipe = redis.pipeline();
    for (const wid of wids) pipe.sismember(K.seenKey(wid), eventId);
    const replies = await pipe.exec();
    return replies.some(([err, isMember]) => {
      if (err) throw err;
      return isMember === 1;
    });
  }

  /**
   * Session windows that joined: the accumulators and event ids of windows `sources` become
   * those of `target`, and the sources are dropped. Called under the series' lock.
   */
  async function mergeInto(target, def, sources) {
    const tid = K.windowId(target);
    let acc = emptyAccumulator(def.bounds);
    const ids = [];
    for (const wid of sources) {
      const [[e1, hash], [e2, members]] = await redis.pipeline().hgetall(K.windowKey(wid)).smembers(K.seenKey(wid)).exec();
      if (e1 || e2) throw e1 || e2;
      acc = mergeAccumulators(acc, decodeAccumulator(hash, def.bounds));
      ids.push(...members);
    }
    const tx = redis.multi().hset(K.windowKey(tid), { ...metaFields(target, def), ...encodeAccumulator(acc) });
    if (ids.length) tx.sadd(K.seenKey(tid), ...ids);
    tx.zadd(K.OPEN, target.end, tid).zadd(K.GC, target.expiresAt, tid);
    for (const wid of sources.filter((w) => w !== tid)) {
      tx.del(K.windowKey(wid), K.seenKey(wid)).zrem(K.OPEN, wid).zrem(K.GC, wid);
    }
    await tx.exec();
  }

  /** Live windows (emitted or not, not yet dropped). */
  function liveWindows() {
    return redis.zcard(K.GC);
  }

  return { add, read, dueIds, latestOpenEnd, stage, outbox, confirmed, expiredIds, drop, liveWindows, contains, mergeInto };
}

module.exports = { createRedisState, parseWindow, metaFields };
