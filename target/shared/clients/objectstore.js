'use strict';

// S3-like object store ("data lake") on the local filesystem. It mirrors the S3 behaviour that
// callers depend on: HeadBucket on a missing bucket is a bodiless 404 whose code is only
// `NotFound`; GetObject on a missing key is 404 `NoSuchKey`; a missing bucket on object calls is
// 404 `NoSuchBucket`. Code written against this store therefore also works against S3/MinIO.
//
// Layout: <OBJECT_STORE_DIR>/<bucket>/data/<key>        object bytes
//         <OBJECT_STORE_DIR>/<bucket>/meta/<key>.json   { size, etag, contentType, metadata, lastModified }
//         <OBJECT_STORE_DIR>/<bucket>/tmp/               staging for atomic writes
//
// Keys become file paths, so every key is validated before any filesystem call and the resolved
// path is checked to stay inside the bucket's data directory.

const crypto = require('node:crypto');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { systemClock } = require('../utils/clock');
const { DataNexusError, ERRORS, createError } = require('../utils/errors');

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_MAX_BYTES = 1024;

/** An S3-shaped error: `code` is the S3 error code, `statusCode` the HTTP status. */
class ObjectStoreError extends DataNexusError {
  constructor(code, statusCode, message, details = {}) {
    super(code, message, { statusCode, details });
    this.name = code;
    this.$metadata = { httpStatusCode: statusCode };
  }
}

function noSuchBucket(bucket) {
  return new ObjectStoreError('NoSuchBucket', 404, `bucket "${bucket}" does not exist`, {
    bucket,
    dnCode: ERRORS.DN_BUCKET_NOT_FOUND.code,
  });
}

function invalidKey(key, reason) {
  return createError(ERRORS.DN_OBJECT_KEY_INVALID, `object key ${JSON.stringify(key)} is invalid: ${reason}`, {
    details: { key, reason },
  });
}

// Keys that a later layer might percent-decode are checked in decoded form as well, so `%2e%2e%2f`
// cannot become `../` behind the store's back.
function decodedForms(key) {
  const forms = [key];
  let current = key;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      break;
    }
    forms.push(current);
  }
  return forms;
}

function validateKey(key) {
  if (typeof key !== 'string' || key === '') throw invalidKey(key, 'must be a non-empty string');
  if (Buffer.byteLength(key, 'utf8') > KEY_MAX_BYTES) throw invalidKey(key, `longer than ${KEY_MAX_BYTES} bytes`);
  for (const form of decodedForms(key)) {
    if (/[\u0000-\u001f\u007f]/.test(form)) throw invalidKey(key, 'contains a control character');
    if (form.includes('\\')) throw invalidKey(key, 'contains a backslash');
    if (form.startsWith('/') || /^[A-Za-z]:/.test(form)) throw invalidKey(key, 'is an absolute path');
    const segments = form.split('/');
    if (segments.some((s) => s === '..' || s === '.')) throw invalidKey(key, 'contains a "." or ".." segment');
    if (segments.some((s) => s === '')) throw invalidKey(key, 'contains an empty path segment');
  }
  return key;
}

function validateBucket(bucket) {
  if (typeof bucket !== 'string' || !BUCKET_PATTERN.test(bucket) || bucket.includes('..')) {
    throw createError(ERRORS.DN_BUCKET_NAME_INVALID, `bucket name ${JSON.stringify(bucket)} is invalid (S3 naming rules)`, {
      details: { bucket },
    });
  }
  return bucket;
}

function toBuffer(body) {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw createError(ERRORS.DN_ARGUMENT_INVALID, 'object body must be a Buffer, Uint8Array or string');
}

async function exists(p) {
  try {
    await fsp.stat(p);
    return true;
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
    throw err;
  }
}

/**
 * @param {object} config OBJECT_STORE_DIR (root directory), OBJECT_STORE_BUCKET (default bucket)
 * @param {{ clock?: object }} [options]
 */
function createObjectStore(config, options = {}) {
  const root = config.OBJECT_STORE_DIR;
  if (!root) throw createError(ERRORS.DN_OBJECT_STORE_DIR_MISSING, 'OBJECT_STORE_DIR is not configured');
  const rootDir = path.resolve(root);
  const clock = options.clock ?? systemClock;
  let tmpCounter = 0;

  const bucketDir = (bucket) => path.join(rootDir, validateBucket(bucket));

  function objectPaths(bucket, key) {
    validateKey(key);
    const base = bucketDir(bucket);
    const dataDir = path.join(base, 'data');
    const dataPath = path.resolve(dataDir, ...key.split('/'));
    // Second line of defence: whatever validateKey missed, the file must live under dataDir.
    const rel = path.relative(dataDir, dataPath);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw invalidKey(key, 'resolves outside the bucket');
    return { base, dataDir, dataPath, metaPath: `${path.resolve(base, 'meta', rel)}.json`, metaDir: path.join(base, 'meta') };
  }

  async function requireBucket(bucket) {
    if (!(await exists(path.join(bucketDir(bucket), 'data')))) throw noSuchBucket(bucket);
  }

  /** Resolves when the bucket exists; otherwise rejects like S3: 404, code `NotFound`, no body. */
  async function headBucket(bucket) {
    if (!(await exists(path.join(bucketDir(bucket), 'data')))) {
      throw new ObjectStoreError('NotFound', 404, `HEAD bucket "${bucket}": 404 (no body)`, { bucket });
    }
    return { bucket };
  }

  async function createBucket(bucket) {
    const base = bucketDir(bucket);
    if (await exists(path.join(base, 'data'))) {
      throw new ObjectStoreError('BucketAlreadyOwnedByYou', 409, `bucket "${bucket}" already exists`, { bucket });
    }
    for (const sub of ['tmp', 'meta', 'data']) await fsp.mkdir(path.join(base, sub), { recursive: true });
    return { bucket };
  }

  /** Creates the bucket when it does not exist yet. */
  async function ensureBucket(bucket) {
    try {
      await headBucket(bucket);
      return { bucket, created: false };
    } catch (err) {
      if (err.code !== 'NoSuchBucket') throw err;
    }
    try {
      await createBucket(bucket);
      return { bucket, created: true };
    } catch (err) {
      if (err.code === 'BucketAlreadyOwnedByYou') return { bucket, created: false };
      throw err;
    }
  }

  async function writeAtomic(base, target, data) {
    const tmp = path.join(base, 'tmp', `${process.pid}-${++tmpCounter}.tmp`);
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.rename(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Stores `body` under `key`; readers see either the old or the new object, never a partial one.
   * @param {{ contentType?: string, metadata?: Record<string,string> }} [meta]
   * @returns {Promise<{ etag: string, size: number }>}
   */
  async function putObject(bucket, key, body, meta = {}) {
    const paths = objectPaths(bucket, key);
    await requireBucket(bucket);
    const data = toBuffer(body);
    const record = {
      size: data.length,
      etag: crypto.createHash('md5').update(data).digest('hex'),
      contentType: meta.contentType ?? 'application/octet-stream',
      metadata: { ...meta.metadata },
      lastModified: clock.now(),
    };
    // "a" and "a/b" cannot both be files; S3 allows it, a filesystem does not. Checked before
    // anything is written so a refused put leaves no metadata behind.
    if (await pathConflict(paths.dataPath, paths.dataDir)) {
      throw new ObjectStoreError('ObjectPathConflict', 409, `key "${key}" conflicts with an existing key path`, {
        bucket,
        key,
      });
    }
    await writeAtomic(paths.base, paths.metaPath, JSON.stringify(record));
    await writeAtomic(paths.base, paths.dataPath, data);
    return { etag: record.etag, size: record.size };
  }

  async function pathConflict(dataPath, dataDir) {
    const stat = await fsp.stat(dataPath).catch(() => null);
    if (stat && stat.isDirectory()) return true;
    for (let dir = path.dirname(dataPath); dir !== dataDir; dir = path.dirname(dir)) {
      const s = await fsp.stat(dir).catch(() => null);
      if (s && !s.isDirectory()) return true;
    }
    return false;
  }

  /** @returns {Promise<{ body: Buffer, size, etag, contentType, metadata, lastModified }>} */
  async function getObject(bucket, key) {
    const paths = objectPaths(bucket, key);
    await requireBucket(bucket);
    let body;
    let record;
    try {
      body = await fsp.readFile(paths.dataPath);
      record = JSON.parse(await fsp.readFile(paths.metaPath, 'utf8'));
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR') {
        throw new ObjectStoreError('NoSuchKey', 404, `object "${key}" not found in bucket "${bucket}"`, {
          bucket,
          key,
          dnCode: ERRORS.DN_OBJECT_NOT_FOUND.code,
        });
      }
      throw err;
    }
    return { body, ...record };
  }

  /** Objects whose key starts with `prefix`, sorted by key (UTF-8 byte order, as S3 lists). */
  async function listObjects(bucket, prefix = '') {
    await requireBucket(bucket);
    const base = bucketDir(bucket);
    const dataDir = path.join(base, 'data');
    const out = [];
    async function walk(dir, rel) {
      for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
        const key = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (key.startsWith(prefix)) out.push(key);
      }
    }
    await walk(dataDir, '');
    out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const listed = [];
    for (const key of out) {
      const record = JSON.parse(await fsp.readFile(`${path.join(base, 'meta', ...key.split('/'))}.json`, 'utf8'));
      listed.push({ key, size: record.size, etag: record.etag, lastModified: record.lastModified });
    }
    return listed;
  }

  /** Deletes `key`; like S3, deleting a missing key succeeds. */
  async function deleteObject(bucket, key) {
    const paths = objectPaths(bucket, key);
    await requireBucket(bucket);
    await fsp.rm(paths.dataPath, { force: true });
    await fsp.rm(paths.metaPath, { force: true });
    // Empty parent directories would block a later object named like the directory.
    await pruneEmptyParents(paths.dataPath, paths.dataDir);
    await pruneEmptyParents(paths.metaPath, paths.metaDir);
  }

  async function pruneEmptyParents(file, stopAt) {
    for (let dir = path.dirname(file); dir !== stopAt && dir.startsWith(stopAt + path.sep); dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        return; // not empty (or already gone)
      }
    }
  }

  return {
    headBucket,
    createBucket,
    ensureBucket,
    putObject,
    getObject,
    listObjects,
    deleteObject,
    defaultBucket: config.OBJECT_STORE_BUCKET,
    root: rootDir,
  };
}

module.exports = { createObjectStore, ObjectStoreError, validateKey, validateBucket };
