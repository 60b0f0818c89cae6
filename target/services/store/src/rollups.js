'use strict';

// Writing windows. A window is stored once per (tenant, rollup, series, resolution, windowStart)
// with the highest revision seen: a redelivered window or an older revision changes nothing, so
// the broker may deliver as often as it likes. An accepted window also marks its hour for
// downsampling and is appended to the archive, in the same transaction, so a write that fails
// half-way is retried whole.

const UPSERT = `
  INSERT INTO store_rollups AS r (tenant_id, rollup_id, series_key, resolution, window_kind, window_start, window_end,
                                  revision, count, sum, min, max, mean, variance, histogram, event_id, written_at)
  VALUES ($1, $2, $3, '1m', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
  ON CONFLICT (tenant_id, rollup_id, series_key, resolution, window_start) DO UPDATE
     SET window_kind = EXCLUDED.window_kind, window_end = EXCLUDED.window_end, revision = EXCLUDED.revision,
         count = EXCLUDED.count, sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max, mean = EXCLUDED.mean,
         variance = EXCLUDED.variance, histogram = EXCLUDED.histogram, event_id = EXCLUDED.event_id,
         written_at = EXCLUDED.written_at
   WHERE r.revision < EXCLUDED.revision
  RETURNING revision`;

const MARK_PENDING = `
  INSERT INTO store_downsample_pending AS p (tenant_id, rollup_id, series_key, resolution, bucket_start)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (tenant_id, rollup_id, series_key, resolution, bucket_start) DO UPDATE SET generation = p.generation + 1`;

const HOUR_MS = 3_600_000;

/** Hopping windows overlap, so adding them up would count an event several times. */
function downsampled(window) {
  return window.windowKind !== 'hopping';
}

function pointOf(window) {
  const { windowKind, windowStart, windowEnd, revision, count, sum, min, max, mean, variance, histogram } = window;
  return { windowKind, windowStart, windowEnd, revision, count, sum, min, max, mean, variance, histogram };
}

/**
 * @param {object} deps
 * @param {object} deps.postgres clients/postgres.js
 * @param {object} deps.partitions partitions.js
 * @param {object} deps.archive archive.js
 * @param {{ now(): number }} deps.clock
 */
function createWriter({ postgres, partitions, archive, clock }) {
  /**
   * Stores one window of `tenantId` (the data of an aggregate.window.closed event).
   * @returns {Promise<{ status: 'written'|'stale', revision: number }>}
   */
  async function write(tenantId, window, eventId) {
    const start = Date.parse(window.windowStart);
    await partitions.ensure(start);
    return postgres.withTransaction('metrics', async (tx) => {
      const { rows } = await tx.query(UPSERT, [
        tenantId, window.rollupId, window.seriesKey, window.windowKind, new Date(start), new Date(window.windowEnd),
        window.revision, window.count, window.sum, window.min, window.max, window.mean, window.variance,
        window.histogram === null ? null : JSON.stringify(window.histogram), eventId, new Date(clock.now()),
      ]);
      if (rows.length === 0) return { status: 'stale', revision: window.revision };
      if (downsampled(window)) {
        await tx.query(MARK_PENDING, [tenantId, window.rollupId, window.seriesKey, '1h', new Date(Math.floor(start / HOUR_MS) * HOUR_MS)]);
      }
      await archive.append(tenantId, window.rollupId, window.seriesKey, pointOf(window));
      return { status: 'written', revision: window.revision };
    });
  }

  return { write };
}

module.exports = { createWriter, MARK_PENDING };
