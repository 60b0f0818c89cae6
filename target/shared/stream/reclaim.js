'use strict';

// Taking over entries stranded in the PEL of consumers that died, with XAUTOCLAIM: entries idle for
// at least minIdleMs are claimed by `consumer`, handled and acked.

const { silentLogger } = require('../utils/logger');
const { toEntry } = require('./entries');

/**
 * @param {object} options
 * @param {import('ioredis').Redis} options.redis
 * @param {string} options.stream
 * @param {string} options.group
 * @param {string} options.consumer the consumer that takes the entries over
 * @param {number} options.minIdleMs only entries idle at least this long are claimed
 * @param {(entry: { id: string, fields: object }, ctx: object) => Promise<unknown>} options.handler
 * @param {number} [options.count] entries per XAUTOCLAIM page (default 100)
 * @param {object} [options.logger]
 * @returns {Promise<{ claimed: number, processed: number, failed: number, deleted: number, rounds: number }>}
 */
async function reclaimStale({ redis, stream, group, consumer, minIdleMs, handler, count = 100, logger = silentLogger }) {
  const stats = { claimed: 0, processed: 0, failed: 0, deleted: 0, rounds: 0 };
  let cursor = '0-0';
  do {
    const [, claimed, deleted = []] = await redis.xautoclaim(stream, group, consumer, minIdleMs, cursor, 'COUNT', count);
    stats.rounds++;
    for (const raw of claimed) {
      const entry = toEntry(raw);
      stats.claimed++;
      if (entry.fields === null) {
        await redis.xack(stream, group, entry.id);
        stats.deleted++;
        continue;
      }
      try {
        await handler(entry, { stream, group, consumer, reclaimed: true });
      } catch (err) {
        // Stays pending under `consumer`; the next reclaim round (or its restart) retries it.
        stats.failed++;
        logger.warn({ stream, group, consumer, id: entry.id, err }, 'reclaimed entry failed; it stays pending');
        continue;
      }
      await redis.xack(stream, group, entry.id);
      stats.processed++;
    }
    if (deleted.length > 0) {
      await redis.xack(stream, group, ...deleted);
      stats.deleted += deleted.length;
    }
  } while (cursor !== '0-0');
  return stats;
}

module.exports = { reclaimStale };
