'use strict';

// Trimming a stream that several consumer groups read, with XTRIM MINID: the cut-off comes from
// the groups' last-delivered ids and their oldest pending entries.

const { compareIds } = require('./entries');

function toObject(flat) {
  const out = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

function lower(a, b) {
  if (a === null) return b;
  return compareIds(a, b) < 0 ? b : a;
}

/**
 * The id below which entries may go, or null when the stream has no groups (nobody has said
 * what they have read, so nothing may go) or does not exist.
 * @returns {Promise<string|null>}
 */
async function safeTrimId({ redis, stream }) {
  let groups;
  try {
    groups = await redis.xinfo('GROUPS', stream);
  } catch (err) {
    if (/no such key/i.test(err.message)) return null;
    throw err;
  }
  if (groups.length === 0) return null;
  let minId = null;
  for (const flat of groups) {
    const g = toObject(flat);
    let needed = g['last-delivered-id'];
    if (Number(g.pending) > 0) {
      const [, oldestPending] = await redis.xpending(stream, g.name);
      if (oldestPending) needed = lower(needed, oldestPending);
    }
    minId = lower(minId, needed);
  }
  return minId;
}

/**
 * Removes entries below safeTrimId(). Returns `{ minId, trimmed }`.
 * @param {{ redis: import('ioredis').Redis, stream: string }} options
 */
async function trimStream({ redis, stream }) {
  const minId = await safeTrimId({ redis, stream });
  if (minId === null || minId === '0-0') return { minId, trimmed: 0 };
  const trimmed = await redis.xtrim(stream, 'MINID', minId);
  return { minId, trimmed };
}

module.exports = { trimStream, safeTrimId };
