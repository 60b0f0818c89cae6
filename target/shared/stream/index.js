'use strict';

// Redis Streams with consumer groups: group creation, consumers that recover their own pending
// entries, reclaiming entries stranded on dead consumers, and trimming that never drops an entry
// some group has not read yet.

const { createConsumer } = require('./consumer');
const { reclaimStale } = require('./reclaim');
const { trimStream, safeTrimId } = require('./trim');
const { append, toEntry, compareIds } = require('./entries');

/**
 * Creates consumer group `group` on `stream` starting at `startId`. A group that already exists
 * is left as it is (its position is the group's progress and must not be reset).
 * @param {import('ioredis').Redis} redis
 * @param {string} stream
 * @param {string} group
 * @param {{ startId?: string }} [options] `0` = every entry already in the stream, `$` = only new ones
 * @returns {Promise<boolean>} true when the group was created, false when it already existed
 */
async function ensureGroup(redis, stream, group, { startId = '0' } = {}) {
  try {
    await redis.xgroup('CREATE', stream, group, startId);
    return true;
  } catch (err) {
    if (err.code === 'BUSYGROUP') return false;
    throw err;
  }
}

module.exports = { ensureGroup, createConsumer, reclaimStale, trimStream, safeTrimId, append, toEntry, compareIds };
