'use strict';

const { WebSocketServer } = require('ws');
const { createHub } = require('./hub');
const { AuthFailure } = require('../auth');

// WebSocket endpoint `GET /v1/live?topics=a,b` (x-api-key header) and the Redis pub/sub bridge.
// Producers PUBLISH `{ tenantId, topic, data }` on the live channel; every gateway instance
// forwards it to its own subscribers of that tenant and topic.

const LIVE_PATH = '/v1/live';

/** The pub/sub channel name. Channels are not covered by the client key prefix, so add it here. */
function liveChannel(config) {
  return `${config.REDIS_PREFIX}${config.LIVE_CHANNEL}`;
}

function parseTopics(search) {
  const raw = new URLSearchParams(search).get('topics');
  return raw ? raw.split(',').map((t) => t.trim()).filter(Boolean) : [];
}

function rejectUpgrade(socket, status, code) {
  const body = JSON.stringify({ code });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 429 ? 'Too Many Requests' : 'Service Unavailable'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function createLive({ config, redis, authenticator, limiter, logger, newRequestId }) {
  const hub = createHub({ maxTopicsPerSocket: config.WS_MAX_TOPICS });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  let subscriber = null;

  function onMessage(channel, raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      logger.warn({ event: 'live.bad_message', channel }, 'dropped a live message that is not JSON');
      return;
    }
    if (!message || typeof message.tenantId !== 'string' || typeof message.topic !== 'string') return;
    hub.publish(message.tenantId, message.topic, message.data);
  }

  function attach(socket, principal, topics) {
    hub.add(socket, principal);
    const accepted = topics.filter((topic) => hub.subscribe(socket, topic));
    socket.on('message', (data) => {
      let cmd;
      try {
        cmd = JSON.parse(data.toString('utf8'));
      } catch {
        socket.send(JSON.stringify({ error: 'LIVE_BAD_COMMAND' }));
        return;
      }
      if (cmd && cmd.op === 'subscribe') {
        const ok = hub.subscribe(socket, cmd.topic);
        socket.send(JSON.stringify(ok ? { ok: 'subscribed', topic: cmd.topic } : { error: 'LIVE_BAD_TOPIC', topic: cmd.topic }));
      } else if (cmd && cmd.op === 'unsubscribe') {
        hub.unsubscribe(socket, cmd.topic);
        socket.send(JSON.stringify({ ok: 'unsubscribed', topic: cmd.topic }));
      } else {
        socket.send(JSON.stringify({ error: 'LIVE_BAD_COMMAND' }));
      }
    });
    socket.on('close', () => hub.remove(socket));
    socket.on('error', () => hub.remove(socket));
    socket.send(JSON.stringify({ ok: 'ready', topics: accepted }));
  }

  async function handleUpgrade(req, socket, head) {
    const url = new URL(req.url, 'http://gateway');
    if (url.pathname !== LIVE_PATH) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {});
    let principal;
    try {
      principal = await authenticator.authenticate(req.headers, newRequestId(req));
      const decision = await limiter.take(principal.keyId, principal.rateLimit || undefined);
      if (!decision.allowed) {
        rejectUpgrade(socket, 429, 'GATEWAY_RATE_LIMITED');
        return;
      }
    } catch (err) {
      if (err instanceof AuthFailure) rejectUpgrade(socket, err.status, err.code);
      else rejectUpgrade(socket, 503, 'GATEWAY_AUTH_UNAVAILABLE');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, principal, parseTopics(url.search)));
  }

  return {
    hub,
    handleUpgrade,
    async start() {
      subscriber = redis.duplicate();
      subscriber.on('message', onMessage);
      await subscriber.subscribe(liveChannel(config));
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(() => resolve()));
      if (subscriber) await subscriber.close();
      subscriber = null;
    },
    /** Publishes a live message (used by producers that hold a Redis client with the same prefix). */
    publish(tenantId, topic, data) {
      return redis.publish(liveChannel(config), JSON.stringify({ tenantId, topic, data }));
    },
  };
}

module.exports = { createLive, liveChannel, LIVE_PATH, parseTopics };
