'use strict';

// CSV exports of a rollup's range. Each tenant's exports live in its own directory under
// STORE_EXPORT_DIR and are downloaded by file name; a name that leads outside the tenant's
// directory is refused before anything is read.

const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { storeError } = require('./errors');

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const HEADER = ['seriesKey', 'windowStart', 'windowEnd', 'count', 'sum', 'min', 'max', 'mean', 'variance'];

// RFC 4180 quoting; a leading = + - @ would make a spreadsheet evaluate the cell, so such text is
// prefixed with a quote character.
function csvCell(value) {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function toCsv(series) {
  const lines = [HEADER.join(',')];
  for (const { seriesKey, points } of series) {
    for (const p of points) {
      lines.push([seriesKey, p.windowStart, p.windowEnd, p.count, p.sum, p.min, p.max, p.mean, p.variance].map(csvCell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

function stampOf(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The path of `file` inside `base`; STORE_EXPORT_PATH_INVALID when it would lead elsewhere. */
function resolveInside(base, file) {
  const target = path.resolve(base, file);
  if (!target.startsWith(base)) throw storeError('STORE_EXPORT_PATH_INVALID', 'export file name is invalid');
  return target;
}

/**
 * @param {object} deps
 * @param {string} deps.dir STORE_EXPORT_DIR
 * @param {object} deps.queries queries.js
 * @param {{ now(): number }} deps.clock
 */
function createExports({ dir, queries, clock }) {
  const root = path.resolve(dir);

  function tenantDir(tenantId) {
    if (!TENANT_ID.test(tenantId)) throw storeError('STORE_FORBIDDEN', 'this tenant cannot export');
    return path.join(root, tenantId);
  }

  /** Writes the CSV of a range; resolves with `{ file, rows, size }`. */
  async function create(tenantId, query) {
    const result = await queries.series({ ...query, tenantId });
    const csv = toCsv(result.series);
    const base = tenantDir(tenantId);
    await fsp.mkdir(base, { recursive: true });
    const file = `${query.rollupId}-${query.resolution || '1m'}-${stampOf(clock.now())}-${crypto.randomBytes(3).toString('hex')}.csv`;
    // Written aside and renamed, so a download never sees half a file.
    const partial = path.join(base, `.${file}.partial`);
    await fsp.writeFile(partial, csv, { mode: 0o600 });
    await fsp.rename(partial, path.join(base, file));
    const rows = result.series.reduce((n, s) => n + s.points.length, 0);
    return { file, rows, size: Buffer.byteLength(csv) };
  }

  /** The tenant's exports, by name. */
  async function list(tenantId) {
    const base = tenantDir(tenantId);
    const entries = await fsp.readdir(base, { withFileTypes: true }).catch((err) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    const items = [];
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.csv') || entry.name.startsWith('.')) continue;
      const stat = await fsp.stat(path.join(base, entry.name));
      items.push({ file: entry.name, size: stat.size });
    }
    return items.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  /** An export to download: `{ stream, size, file }`; STORE_EXPORT_NOT_FOUND when there is none. */
  async function open(tenantId, file) {
    const target = resolveInside(tenantDir(tenantId), file);
    const stat = await fsp.stat(target).catch(() => null);
    if (!stat || !stat.isFile()) throw storeError('STORE_EXPORT_NOT_FOUND', 'export not found');
    return { stream: fs.createReadStream(target), size: stat.size, file: path.basename(target) };
  }

  return { create, list, open, root };
}

module.exports = { createExports, toCsv, csvCell };
