'use strict';

// A TCP proxy that sits between a client and a real server (PostgreSQL, Redis, RabbitMQ) and
// causes network faults on command. Every state change is synchronous and observable as an
// event, so chaos tests wait for what happened (a 'connection', a 'held' chunk, a client's
// 'close') instead of sleeping.
//
//   const proxy = await createFaultProxy({ host: '127.0.0.1', port: 5432 });
//   const url = proxy.url(ns.env.PIPELINE_DATABASE_URL);   // same URL, through the proxy
//   proxy.cut();          // destroy every open connection (both sides)
//   proxy.refuse(true);   // new connections are closed right after accept
//   proxy.stall(true);    // hold all bytes in both directions until stall(false)
//   proxy.dropNext(2);    // the next 2 new connections are closed right after accept
//
// Events: 'connection' (info), 'refused' (info), 'dropped' (info), 'closed' (info),
//         'held' ({ id, direction, bytes }), 'released' ({ id, direction, bytes }), 'cut' (count).

const net = require('node:net');
const { EventEmitter } = require('node:events');

/**
 * @param {{ host?: string, port: number }} target the real server
 * @returns {Promise<object>} the proxy, already listening on 127.0.0.1 and an ephemeral port
 */
async function createFaultProxy({ host = '127.0.0.1', port }) {
  const emitter = new EventEmitter();
  const live = new Map(); // id -> pair
  let nextId = 1;
  let refusing = false;
  let stalled = false;
  let toDrop = 0;
  let accepted = 0;

  const server = net.createServer({ pauseOnConnect: false }, (client) => {
    const id = nextId++;
    accepted++;
    if (refusing) {
      client.destroy();
      emitter.emit('refused', { id });
      return;
    }
    if (toDrop > 0) {
      toDrop--;
      client.destroy();
      emitter.emit('dropped', { id });
      return;
    }
    const upstream = net.connect({ host, port });
    const pair = { id, client, upstream, held: { up: [], down: [] }, closed: false };
    live.set(id, pair);

    const forward = (direction, from, to) => {
      from.on('data', (chunk) => {
        if (pair.closed) return;
        if (stalled) {
          pair.held[direction].push(chunk);
          emitter.emit('held', { id, direction, bytes: chunk.length });
          return;
        }
        to.write(chunk);
      });
    };
    forward('up', client, upstream);
    forward('down', upstream, client);

    const teardown = () => {
      if (pair.closed) return;
      pair.closed = true;
      live.delete(id);
      client.destroy();
      upstream.destroy();
      emitter.emit('closed', { id });
    };
    client.on('close', teardown);
    upstream.on('close', teardown);
    // Errors (ECONNRESET after a cut, a refused upstream) end the pair; 'close' follows.
    client.on('error', () => {});
    upstream.on('error', () => {});
    emitter.emit('connection', { id });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const proxyPort = server.address().port;

  function releaseHeld() {
    for (const pair of live.values()) {
      for (const direction of ['up', 'down']) {
        const chunks = pair.held[direction];
        pair.held[direction] = [];
        const to = direction === 'up' ? pair.upstream : pair.client;
        let bytes = 0;
        for (const chunk of chunks) {
          bytes += chunk.length;
          to.write(chunk);
        }
        if (bytes > 0) emitter.emit('released', { id: pair.id, direction, bytes });
      }
    }
  }

  return Object.assign(emitter, {
    port: proxyPort,
    host: '127.0.0.1',

    /** `originalUrl` with its host and port replaced by the proxy's. */
    url(originalUrl) {
      const u = new URL(originalUrl);
      u.hostname = '127.0.0.1';
      u.port = String(proxyPort);
      return u.toString();
    },

    /** Destroys every open connection on both sides; returns how many were cut. */
    cut() {
      const pairs = [...live.values()];
      for (const pair of pairs) {
        pair.closed = true;
        live.delete(pair.id);
        pair.client.destroy();
        pair.upstream.destroy();
        emitter.emit('closed', { id: pair.id });
      }
      emitter.emit('cut', pairs.length);
      return pairs.length;
    },

    /** While on, new connections are closed immediately after accept. */
    refuse(on = true) {
      refusing = Boolean(on);
    },

    /** While on, bytes in both directions are held; turning it off delivers them in order. */
    stall(on = true) {
      stalled = Boolean(on);
      if (!stalled) releaseHeld();
    },

    /** The next `n` new connections are closed right after accept. */
    dropNext(n = 1) {
      toDrop += n;
    },

    /** Number of connections currently proxied. */
    connections() {
      return live.size;
    },

    /** Total connections accepted (including refused and dropped ones). */
    accepted() {
      return accepted;
    },

    async close() {
      this.cut();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  });
}

module.exports = { createFaultProxy };
