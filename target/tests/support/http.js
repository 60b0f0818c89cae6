'use strict';

// HTTP helpers for service tests: requests over a real port, gateway identity headers, and
// recording upstream servers.
//
// fastify's inject() loads light-my-request, whose `cookie` dependency is ESM-only, which jest on
// Node 20 cannot require. The tests talk to the apps over a real port instead (port 0).

const http = require('node:http');

const INTERNAL_TOKEN = 'test-internal-token';

/** Headers of a call that came through the gateway for `principal`. */
function internalHeaders({ tenantId = 't-acme', role = 'admin', keyId = 'KEY0000000000000', userId } = {}) {
  const headers = { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': tenantId, 'x-user-role': role, 'x-key-id': keyId };
  if (userId) headers['x-user-id'] = userId;
  return headers;
}

/**
 * An HTTP server on port 0 that records every request and answers with `respond(req, body)`
 * (default 200 JSON echo); an answer of null leaves the request hanging.
 */
async function startUpstream(respond) {
  const requests = [];
  const waiting = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const record = { method: req.method, url: req.url, headers: req.headers, body };
      requests.push(record);
      for (const w of waiting.splice(0)) w(record);
      const answer = respond ? respond(record) : { status: 200, body: { ok: true, url: req.url } };
      if (answer === null) return;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers || {}) });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    requests,
    nextRequest: () => new Promise((resolve) => waiting.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function ensureListening(app) {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

/**
 * Same call shape as fastify's inject: `call(app, { method, url, headers, payload })` or
 * `call(app, '/path')`; resolves `{ statusCode, headers, body, json() }`.
 */
async function call(app, options) {
  const opts = typeof options === 'string' ? { url: options } : options;
  const port = await ensureListening(app);
  let payload = opts.payload;
  const headers = { ...(opts.headers || {}) };
  if (payload !== undefined && typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
    payload = JSON.stringify(payload);
    if (!headers['content-type']) headers['content-type'] = 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method || 'GET', path: opts.url, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ statusCode: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.end(payload);
    else req.end();
  });
}

module.exports = { INTERNAL_TOKEN, internalHeaders, startUpstream, ensureListening, call };
