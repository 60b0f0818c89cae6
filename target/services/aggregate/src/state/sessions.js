'use strict';

// Session windows in Redis. Where an event lands depends on the sessions its series already has
// (it may extend one, or bridge several into one), so the sessions of one series are changed
// under a short Redis lock: two instances never merge the same sessions differently.

const crypto = require('node:crypto');
const { placeInSession } = require('../windows/session');
const { isClosedForEvents, expiresAt } = require('../windows/manager');
const K = require('./keys');

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
const LOCK_MS = 10_000;

const member = (w) => `${w.start}:${w.end}`;
function parseMember(m) {
  const [start, end] = m.split(':').map(Number);
  return { start, end };
}

/**
 * @param {object} deps
 * @param {import('ioredis').Redis} deps.redis
 * @param {object} deps.state state/redisState.js
 */
function createSessions({ redis, state }) {
  redis.defineCommand('aggUnlock', { numberOfKeys: 1, lua: RELEASE });

  async function withLock(sid, fn) {
    const token = crypto.randomUUID();
    // Another instance merging this series' sessions holds it for a few commands: try again
    // on the next turn of the event loop.
    while ((await redis.set(K.lockKey(sid), token, 'PX', LOCK_MS, 'NX')) === null) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    try {
      return await fn();
    } finally {
      await redis.aggUnlock(K.lockKey(sid), token);
    }
  }

  /**
   * Counts `value` of event `eventId` at `ts` in its session. Resolves 'added', 'duplicate' or
   * 'late' (the session it would be in is past its allowed lateness).
   */
  function add(base, def, eventId, ts, value, watermark) {
    const sid = K.seriesId(base);
    const lateness = def.window.allowedLatenessMs;
    return withLock(sid, async () => {
      const existing = (await redis.zrange(K.sessionsKey(sid), 0, -1)).map(parseMember);
      const { window, absorbed } = placeInSession(existing, ts, def.window.gapMs);
      if (isClosedForEvents(window, watermark, lateness)) return 'late';
      const target = { ...base, ...window, expiresAt: expiresAt(window, lateness) };
      const unchanged = absorbed.length === 1 && absorbed[0].start === window.start && absorbed[0].end === window.end;
      if (absorbed.length > 0 && !unchanged) {
        const sources = absorbed.map((s) => K.windowId({ ...base, ...s }));
        if (await state.contains(sources, eventId)) return 'duplicate';
        await state.mergeInto(target, def, sources);
        const pipe = redis.pipeline();
        for (const s of absorbed) pipe.zrem(K.sessionsKey(sid), member(s));
        pipe.zadd(K.sessionsKey(sid), window.start, member(window));
        await pipe.exec();
      } else if (absorbed.length === 0) {
        await redis.zadd(K.sessionsKey(sid), window.start, member(window));
      }
      return state.add(target, def, eventId, value);
    });
  }

  /** Forgets a dropped session window in its series' list. */
  async function forget(window) {
    const sid = K.seriesId(window);
    await redis.zrem(K.sessionsKey(sid), member(window));
  }

  return { add, forget };
}

module.exports = { createSessions };
