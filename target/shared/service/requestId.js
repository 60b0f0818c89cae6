'use strict';

const crypto = require('node:crypto');

// A client may pass its own x-request-id so its logs and ours line up (the gateway forwards it,
// so a request keeps one id through every service). Only a short token of
// safe characters is accepted: anything else (CR/LF, quotes, very long values) would end up in
// upstream headers and log lines, so it is replaced by a fresh id.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function createRequestIds(generate = () => crypto.randomUUID()) {
  return function requestIdFor(req) {
    const inbound = req.headers['x-request-id'];
    return typeof inbound === 'string' && SAFE_REQUEST_ID.test(inbound) ? inbound : generate();
  };
}

module.exports = { createRequestIds, SAFE_REQUEST_ID };
