'use strict';

// Hourly and daily downsampling. An hour's row combines the hour's stored windows ('1m', by
// window start), a day's row combines the day's hours. Rows carry count and sum, so a combined
// mean weighs every event alike, and the variance is recombined from each part's mean and
// variance (Chan et al.'s parallel formula). Histograms with the same bounds add up bucket by
// bucket; parts with different bounds cannot be merged and give no histogram.

const { MARK_PENDING } = require('./rollups');
const { statsOfRow } = require('./row-stats');

const LEVELS = Object.freeze([
  { resolution: '1h', source: '1m', lengthMs: 3_600_000, parent: '1d' },
  { resolution: '1d', source: '1h', lengthMs: 86_400_000, parent: null },
]);

function sameBounds(a, b) {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

function mergeHistograms(histograms) {
  const present = histograms.filter((h) => h !== null && h !== undefined);
  if (present.length === 0) return null;
  if (present.length !== histograms.length) return null;
  const { bounds } = present[0];
  if (!present.every((h) => sameBounds(h.bounds, bounds))) return null;
  const counts = bounds.map(() => 0).concat(0);
  for (const h of present) h.counts.forEach((c, i) => { counts[i] += c; });
  return { bounds: [...bounds], counts };
}

/**
 * Combines rows `{ count, sum, min, max, mean, variance, histogram }` into one.
 * @returns {{ count: number, sum: number, min: number|null, max: number|null, mean: number|null, variance: number|null, histogram: object|null }}
 */
function combine(rows) {
  const parts = rows.filter((r) => r.count > 0);
  const count = parts.reduce((n, r) => n + r.count, 0);
  const sum = parts.reduce((s, r) => s + r.sum, 0);
  if (count === 0) {
    return { count: 0, sum: 0, min: null, max: null, mean: null, variance: null, histogram: mergeHistograms(rows.map((r) => r.histogram)) };
  }
  const mean = parts.reduce((s, r) => s + r.mean, 0) / parts.length;
  // Σ over parts of (n·var + n·(mean_part − mean)²) is the combined sum of squared deviations.
  const squares = parts.reduce((s, r) => s + r.count * (r.variance ?? 0) + r.count * (r.mean - mean) ** 2, 0);
  return {
    count,
    sum,
    min: Math.min(...parts.map((r) => r.min)),
    max: Math.max(...parts.map((r) => r.max)),
    mean,
    variance: squares / count,
    histogram: mergeHistograms(rows.map((r) => r.histogram)),
  };
}

const SOURCE_ROWS = `
  SELECT count, sum, min, max, mean, variance, histogram FROM store_rollups
   WHERE tenant_id = $1 AND rollup_id = $2 AND series_key = $3 AND resolution = $4
     AND window_start >= $5 AND window_start < $6 AND window_kind <> 'hopping'`;

const UPSERT_COMBINED = `
  INSERT INTO store_rollups AS r (tenant_id, rollup_id, series_key, resolution, window_kind, window_start, window_end,
                                  revision, count, sum, min, max, mean, variance, histogram, event_id, written_at)
  VALUES ($1, $2, $3, $4, 'tumbling', $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, '', $14)
  ON CONFLICT (tenant_id, rollup_id, series_key, resolution, window_start) DO UPDATE
     SET revision = r.revision + 1, count = EXCLUDED.count, sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max,
         mean = EXCLUDED.mean, variance = EXCLUDED.variance, histogram = EXCLUDED.histogram, written_at = EXCLUDED.written_at`;

/**
 * @param {object} deps
 * @param {object} deps.postgres clients/postgres.js
 * @param {object} deps.partitions partitions.js
 * @param {{ now(): number }} deps.clock
 * @param {number} [deps.batchSize] pending buckets taken per level and run
 */
function createDownsampler({ postgres, partitions, clock, batchSize = 500 }) {
  async function recompute(level, pending) {
    const { tenant_id: tenantId, rollup_id: rollupId, series_key: seriesKey, bucket_start: bucket } = pending;
    const start = bucket.getTime();
    await partitions.ensure(start);
    await postgres.withTransaction('metrics', async (tx) => {
      const range = [new Date(start), new Date(start + level.lengthMs)];
      const { rows } = await tx.query(SOURCE_ROWS, [tenantId, rollupId, seriesKey, level.source, ...range]);
      if (rows.length === 0) {
        await tx.query('DELETE FROM store_rollups WHERE tenant_id = $1 AND rollup_id = $2 AND series_key = $3 AND resolution = $4 AND window_start = $5', [tenantId, rollupId, seriesKey, level.resolution, range[0]]);
      } else {
        const c = combine(rows.map(statsOfRow));
        await tx.query(UPSERT_COMBINED, [tenantId, rollupId, seriesKey, level.resolution, ...range, c.count, c.sum, c.min, c.max, c.mean, c.variance,
          c.histogram === null ? null : JSON.stringify(c.histogram), new Date(clock.now())]);
      }
      if (level.parent) {
        const parentLength = LEVELS.find((l) => l.resolution === level.parent).lengthMs;
        await tx.query(MARK_PENDING, [tenantId, rollupId, seriesKey, level.parent, new Date(Math.floor(start / parentLength) * parentLength)]);
      }
      // Still pending if a window was written into the bucket meanwhile (its generation moved on).
      await tx.query('DELETE FROM store_downsample_pending WHERE tenant_id = $1 AND rollup_id = $2 AND series_key = $3 AND resolution = $4 AND bucket_start = $5 AND generation = $6',
        [tenantId, rollupId, seriesKey, level.resolution, range[0], pending.generation]);
    });
  }

  /** Recomputes every pending hour, then every pending day; resolves with how many of each. */
  async function run() {
    const done = {};
    for (const level of LEVELS) {
      const { rows } = await postgres.query('metrics',
        'SELECT tenant_id, rollup_id, series_key, bucket_start, generation FROM store_downsample_pending WHERE resolution = $1 ORDER BY bucket_start LIMIT $2',
        [level.resolution, batchSize]);
      for (const pending of rows) await recompute(level, pending);
      done[level.resolution] = rows.length;
    }
    return done;
  }

  return { run };
}

module.exports = { createDownsampler, combine, mergeHistograms };
