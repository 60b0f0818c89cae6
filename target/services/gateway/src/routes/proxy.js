'use strict';

const { upstreamHeaders, forward, UpstreamError } = require('../proxy');
const { AuthFailure } = require('../auth');
const { GATEWAY_ERRORS, gatewayError } = require('../errors');
const S = require('./schemas');

function sendError(reply, code, message, extra = {}) {
  const entry = GATEWAY_ERRORS[code];
  const status = entry ? entry.statusCode : 500;
  reply.code(status).header('content-type', 'application/json; charset=utf-8');
  return reply.send(JSON.stringify({ code, message: message || (entry && entry.message) || code, requestId: reply.request.id, ...extra }));
}

/**
 * `/api/v1/<route>/*`: route lookup, authentication, rate limit, circuit breaker, forwarding.
 * Each step answers with its own status, so a client can tell "no such route" (404) from "bad
 * key" (401), "suspended tenant" (403), "slow down" (429), "upstream broken" (502/504) and "no
 * upstream" (503).
 */
async function proxyRoutes(app, { runtime, config, clock }) {
  const { authenticator, limiter, upstreams, breakers } = runtime;

  async function send(service, match, req, principal) {
    const headers = upstreamHeaders(req.headers, {
      principal,
      requestId: req.id,
      clientIp: req.ip,
      internalToken: config.INTERNAL_TOKEN,
    });
    const attempt = async () => {
      const instance = await upstreams.resolve(service);
      return forward({ instance, method: req.method, path: match.path, headers, body: req.body, clock, timeoutMs: config.UPSTREAM_TIMEOUT_MS });
    };
    try {
      return await attempt();
    } catch (err) {
      // A refused connection means nothing reached the upstream: the cached address is stale
      // (the instance moved or is gone), so ask the registry again and try once more.
      if (err instanceof UpstreamError && err.kind === 'refused') {
        upstreams.invalidate(service);
        return attempt();
      }
      throw err;
    }
  }

  async function handle(req, reply) {
    const match = runtime.router.match(req.method, req.url);
    if (match.kind === 'not-found') return sendError(reply, 'GATEWAY_NO_ROUTE', `no route for ${req.method} ${req.url.split('?')[0]}`);
    if (match.kind === 'bad-path') return sendError(reply, 'GATEWAY_BAD_PATH');

    let principal = null;
    if (!match.anonymous) {
      try {
        principal = await authenticator.authenticate(req.headers, req.id);
      } catch (err) {
        if (err instanceof AuthFailure) {
          reply.code(err.status).header('content-type', 'application/json; charset=utf-8');
          if (err.status === 401) reply.header('www-authenticate', 'ApiKey');
          return reply.send(JSON.stringify({ code: err.code, message: err.message, requestId: req.id }));
        }
        throw err;
      }
    }

    const bucketId = principal ? `key:${principal.keyId}` : `ip:${req.ip}`;
    const decision = await limiter.take(bucketId, (principal && principal.rateLimit) || undefined);
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    if (!decision.allowed) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
      return sendError(reply, 'GATEWAY_RATE_LIMITED');
    }

    const service = match.route.service;
    const breaker = breakers.for(service);
    if (!breaker.tryAcquire()) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(breaker.retryAfterMs() / 1000))));
      return sendError(reply, 'GATEWAY_CIRCUIT_OPEN', `${service} is failing; try again later`);
    }

    let res;
    try {
      res = await send(service, match, req, principal);
    } catch (err) {
      breaker.onFailure();
      if (err && err.code === 'GATEWAY_NO_UPSTREAM') return sendError(reply, 'GATEWAY_NO_UPSTREAM', err.message);
      if (err instanceof UpstreamError && err.kind === 'timeout') return sendError(reply, 'GATEWAY_UPSTREAM_TIMEOUT');
      req.log.warn({ err }, 'upstream call failed');
      return sendError(reply, 'GATEWAY_UPSTREAM_FAILED', `${service} failed`);
    }
    if (res.status >= 502 && res.status <= 504) breaker.onFailure();
    else breaker.onSuccess();
    reply.code(res.status).headers(res.headers);
    return reply.send(res.body);
  }

  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/v1/*', schema: S.proxy, handler: handle });
}

/** The live feed is a WebSocket upgrade (ws/live.js); a plain GET is told to upgrade. */
async function liveRoute(app) {
  app.get('/v1/live', { schema: S.live }, async (req, reply) => {
    reply.header('upgrade', 'websocket');
    throw gatewayError('GATEWAY_UPGRADE_REQUIRED');
  });
}

module.exports = { proxyRoutes, liveRoute };
