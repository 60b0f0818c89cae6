'use strict';

const http = require('node:http');

// Headers that describe one hop and must not be passed on (RFC 9110 §7.6.1), plus the ones the
// gateway recomputes itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'x-api-key',
  'x-request-id',
  'x-forwarded-for',
]);

/** The identity of `principal` as headers: upstream services trust them because they come with the internal token. */
function identityHeaders(principal) {
  if (!principal) return {};
  const headers = { 'x-tenant-id': principal.tenantId, 'x-user-role': principal.role };
  if (principal.keyId) headers['x-key-id'] = principal.keyId;
  if (principal.userId) headers['x-user-id'] = principal.userId;
  if (principal.scopes && principal.scopes.length) headers['x-key-scopes'] = principal.scopes.join(',');
  return headers;
}

/** The headers sent upstream for one client request. */
function upstreamHeaders(inbound, { principal, requestId, clientIp, internalToken }) {
  const out = {};
  for (const [name, value] of Object.entries(inbound)) {
    if (HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(identityHeaders(principal))) if (out[name] === undefined) out[name] = value;
  out['x-request-id'] = requestId;
  const prior = typeof inbound['x-forwarded-for'] === 'string' ? `${inbound['x-forwarded-for']}, ` : '';
  out['x-forwarded-for'] = `${prior}${clientIp}`;
  if (internalToken) out['x-internal-token'] = internalToken;
  return out;
}

const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade', 'content-length']);

function responseHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!RESPONSE_HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

class UpstreamError extends Error {
  /** kind: 'refused' (nothing was sent; safe to retry elsewhere) | 'timeout' | 'failed' */
  constructor(kind, message, cause) {
    super(message);
    this.name = 'UpstreamError';
    this.kind = kind;
    this.cause = cause;
  }
}

/**
 * Sends one request to an upstream instance and buffers its answer.
 * The timeout runs on the gateway clock, so a stalled upstream is cut deterministically in tests.
 * @returns {Promise<{ status: number, headers: object, body: Buffer }>}
 */
function forward({ instance, method, path, headers, body, clock, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const payload = body && body.length ? body : null;
    const outgoing = { ...headers };
    if (payload) outgoing['content-length'] = String(payload.length);
    let settled = false;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      fn(value);
    };
    const req = http.request({ host: instance.host, port: instance.port, method, path, headers: outgoing, agent: false });
    const timer = clock.setTimeout(() => {
      finish(reject, new UpstreamError('timeout', `upstream ${instance.host}:${instance.port} did not answer within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => {
      const kind = err.code === 'ECONNREFUSED' ? 'refused' : 'failed';
      finish(reject, new UpstreamError(kind, `upstream ${instance.host}:${instance.port}: ${err.message}`, err));
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', (err) => finish(reject, new UpstreamError('failed', `upstream response broke off: ${err.message}`, err)));
      res.on('end', () => finish(resolve, { status: res.statusCode, headers: responseHeaders(res.headers), body: Buffer.concat(chunks) }));
    });
    if (payload) req.end(payload);
    else req.end();
  });
}

module.exports = { forward, upstreamHeaders, identityHeaders, UpstreamError };
