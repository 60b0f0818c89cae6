'use strict';

// Range reads of stored rollups. A range is [from, to) on window start; `from` is taken at the
// start of its minute, so a window is in the range when the minute it starts in is. Rows come
// back grouped by series, each series in window order.

const { storeError } = require('./errors');
const { statsOfRow } = require('./row-stats');

const MINUTE_MS = 60_000;
const COLUMNS = 'series_key, window_kind, window_start, window_end, revision, count, sum, min, max, mean, variance, histogram';

function seriesSql(withSeriesKey) {
  return `SELECT ${COLUMNS} FROM store_rollups
           WHERE tenant_id = $1 AND rollup_id = $2 AND resolution = $3
             AND date_trunc('minute', window_start) >= $4 AND window_start < $5
             ${withSeriesKey ? 'AND series_key = $7' : ''}
           ORDER BY series_key, window_start
           LIMIT $6`;
}

function toPoint(row) {
  return {
    windowKind: row.window_kind,
    windowStart: row.window_start.toISOString(),
    windowEnd: row.window_end.toISOString(),
    revision: row.revision,
    ...statsOfRow(row),
  };
}

/** `{ from, to }` as Dates: from at the start of its minute, to after it. */
function normalizeRange(from, to) {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw storeError('STORE_RANGE_INVALID', 'from and to must be ISO-8601 instants');
  const start = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
  if (toMs <= start) throw storeError('STORE_RANGE_INVALID', 'to must be after from');
  return { from: new Date(start), to: new Date(toMs) };
}

/**
 * @param {object} deps
 * @param {object} deps.postgres clients/postgres.js
 * @param {number} [deps.maxPoints] rows one read may return; more is STORE_TOO_MANY_POINTS
 */
function createQueries({ postgres, maxPoints = 100_000 }) {
  function statement({ tenantId, rollupId, resolution = '1m', from, to, seriesKey }) {
    const range = normalizeRange(from, to);
    const params = [tenantId, rollupId, resolution, range.from, range.to, maxPoints + 1];
    if (seriesKey !== undefined) params.push(seriesKey);
    return { sql: seriesSql(seriesKey !== undefined), params, range };
  }

  /**
   * The rollup's points in the range, by series.
   * @returns {Promise<{ from: string, to: string, series: Array<{ seriesKey: string, points: object[] }> }>}
   */
  async function series(query) {
    const { sql, params, range } = statement(query);
    const { rows } = await postgres.query('metrics', sql, params);
    if (rows.length > maxPoints) throw storeError('STORE_TOO_MANY_POINTS', `the range holds more than ${maxPoints} points; narrow it or pick a coarser resolution`);
    const bySeries = new Map();
    for (const row of rows) {
      if (!bySeries.has(row.series_key)) bySeries.set(row.series_key, []);
      bySeries.get(row.series_key).push(toPoint(row));
    }
    return {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      series: [...bySeries].map(([seriesKey, points]) => ({ seriesKey, points })),
    };
  }

  /** PostgreSQL's plan of the read `series(query)` makes (EXPLAIN (FORMAT JSON)), for operators. */
  async function explain(query) {
    const { sql, params } = statement(query);
    const { rows } = await postgres.query('metrics', `EXPLAIN (FORMAT JSON) ${sql}`, params);
    return rows[0]['QUERY PLAN'][0].Plan;
  }

  return { series, explain };
}

module.exports = { createQueries, normalizeRange };
