'use strict';

const zlib = require('node:zlib');
const { ingestionError } = require('../errors');

// Request bodies may be sent gzip-compressed (Content-Encoding: gzip). The body limit of the HTTP
// server counts the bytes on the wire.

/**
 * The body's bytes after its content coding: identity as is, gzip inflated, anything else
 * INGEST_UNSUPPORTED_MEDIA_TYPE.
 */
function decodeBody(raw, contentEncoding) {
  const coding = String(contentEncoding || 'identity').trim().toLowerCase();
  if (coding === 'identity') return raw;
  if (coding !== 'gzip' && coding !== 'x-gzip') {
    throw ingestionError('INGEST_UNSUPPORTED_MEDIA_TYPE', `content-encoding ${JSON.stringify(coding)} is not supported; use gzip or none`);
  }
  try {
    return zlib.gunzipSync(raw);
  } catch (err) {
    throw ingestionError('INGEST_INVALID_REQUEST', `body is not valid gzip: ${err.message}`);
  }
}

/** The JSON value of a decoded body; INGEST_INVALID_JSON when it is not JSON. */
function parseJson(bytes) {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw ingestionError('INGEST_INVALID_JSON', `body is not valid JSON: ${err.message}`);
  }
}

module.exports = { decodeBody, parseJson };
