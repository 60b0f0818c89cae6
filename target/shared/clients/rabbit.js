'use strict';

// RabbitMQ connection manager on amqplib's promise API.
//
// A broker restart or a network cut closes the connection, and with it every channel, consumer
// and exclusive queue. The client reconnects with exponential backoff; timers come from the clock
// passed in so tests can drive the backoff.

const { EventEmitter } = require('node:events');
const amqp = require('amqplib');
const { systemClock } = require('../utils/clock');
const { createLogger } = require('../utils/logger');
const { ERRORS, createError } = require('../utils/errors');

function positiveMs(key, value) {
  const n = typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw createError(ERRORS.DN_CONFIG_INVALID, `${key} must be a positive number of ms, got ${JSON.stringify(value)}`, {
      details: { key, expected: 'duration-ms', received: value },
    });
  }
  return n;
}

function toBuffer(content, options) {
  if (Buffer.isBuffer(content)) return { body: content, options };
  if (typeof content === 'string') return { body: Buffer.from(content), options };
  return { body: Buffer.from(JSON.stringify(content)), options: { contentType: 'application/json', ...options } };
}

/**
 * @param {object} config AMQP_URL, RECONNECT_BASE_MS, RECONNECT_MAX_MS, SERVICE_NAME
 * @param {{ logger?: object, clock?: object, socketOptions?: object }} [options]
 */
function createRabbit(config, options = {}) {
  const logger = options.logger ?? createLogger({ name: 'rabbit', level: config.LOG_LEVEL });
  const clock = options.clock ?? systemClock;
  const baseMs = positiveMs('RECONNECT_BASE_MS', config.RECONNECT_BASE_MS ?? 100);
  const maxMs = positiveMs('RECONNECT_MAX_MS', config.RECONNECT_MAX_MS ?? 30_000);
  const socketOptions = {
    clientProperties: { connection_name: config.SERVICE_NAME ?? 'datanexus' },
    ...options.socketOptions,
  };

  const emitter = new EventEmitter();
  const setups = [];
  let state = 'idle'; // idle | connecting | ready | reconnecting | closed
  let connection = null;
  let channelPromise = null;
  let confirmPromise = null;
  let connecting = null;
  let reconnectTimer = null;
  let attempt = 0;

  function closedError() {
    return createError(ERRORS.DN_AMQP_CLOSED, 'the AMQP client was closed');
  }

  function forget() {
    connection = null;
    channelPromise = null;
    confirmPromise = null;
  }

  function openChannel(conn, confirm) {
    const p = (confirm ? conn.createConfirmChannel() : conn.createChannel()).then((ch) => {
      // A channel-level error (406 on an inequivalent declare, 404 on a missing exchange) closes
      // only that channel. Log it and drop it from the cache; the next call opens a new one.
      ch.on('error', (err) => {
        logger.warn('amqp channel error', { err, confirm });
        emitter.emit('channel-error', { err, confirm });
      });
      ch.once('close', () => {
        if (confirm && confirmPromise === p) confirmPromise = null;
        if (!confirm && channelPromise === p) channelPromise = null;
      });
      return ch;
    });
    p.catch(() => {
      if (confirm && confirmPromise === p) confirmPromise = null;
      if (!confirm && channelPromise === p) channelPromise = null;
    });
    return p;
  }

  async function openConnection() {
    const conn = await amqp.connect(config.AMQP_URL, socketOptions);
    conn.on('error', (err) => logger.warn('amqp connection error', { err }));
    conn.once('close', (err) => onConnectionClose(conn, err));
    connection = conn;
    channelPromise = null;
    confirmPromise = null;
    return conn;
  }

  // Runs the registered setups on the shared channel in registration order, one after the other.
  async function runSetups(conn) {
    const ch = await channel();
    for (const setup of [...setups]) {
      await setup(ch);
    }
    if (connection !== conn) throw new Error('AMQP connection closed while running setup');
  }

  async function discard(conn) {
    if (connection === conn) forget();
    await conn.close().catch(() => {});
  }

  function onConnectionClose(conn, err) {
    if (connection !== conn) return;
    forget();
    // While a (re)connect is in flight its own error path handles the failure.
    if (state !== 'ready') return;
    state = 'reconnecting';
    logger.warn('amqp connection lost', { err });
    emitter.emit('disconnected', err);
    scheduleReconnect();
  }

  function scheduleReconnect() {
    attempt++;
    const delay = Math.min(baseMs * 2 ** Math.min(attempt - 1, 30), maxMs);
    emitter.emit('reconnect-scheduled', { attempt, delay });
    reconnectTimer = clock.setTimeout(reconnect, delay);
  }

  async function reconnect() {
    reconnectTimer = null;
    if (state === 'closed') return;
    let conn;
    try {
      conn = await openConnection();
    } catch (err) {
      if (conn) await discard(conn);
      if (state === 'closed') return;
      logger.warn('amqp reconnect failed', { err, attempt });
      emitter.emit('reconnect-failed', { err, attempt });
      scheduleReconnect();
      return;
    }
    if (state === 'closed') {
      await discard(conn);
      return;
    }
    state = 'ready';
    const attempts = attempt;
    attempt = 0;
    logger.info('amqp reconnected', { attempts });
    emitter.emit('connected', { reconnect: true });
    emitter.emit('reconnected', { attempts });
  }

  function waitForReady() {
    return new Promise((resolve, reject) => {
      const onConnected = () => {
        emitter.off('closed', onClosed);
        resolve();
      };
      const onClosed = () => {
        emitter.off('connected', onConnected);
        reject(closedError());
      };
      emitter.once('connected', onConnected);
      emitter.once('closed', onClosed);
    });
  }

  /** Connects and runs the registered setups; resolves when ready. Idempotent. */
  function connect() {
    if (state === 'closed') return Promise.reject(closedError());
    if (state === 'ready') return Promise.resolve();
    if (state === 'reconnecting') return waitForReady();
    if (connecting) return connecting;
    state = 'connecting';
    connecting = (async () => {
      let conn;
      try {
        conn = await openConnection();
        await runSetups(conn);
      } catch (err) {
        if (conn) await discard(conn);
        if (state !== 'closed') state = 'idle';
        throw err;
      } finally {
        connecting = null;
      }
      if (state === 'closed') {
        await discard(conn);
        throw closedError();
      }
      state = 'ready';
      emitter.emit('connected', { reconnect: false });
    })();
    return connecting;
  }

  async function usableConnection() {
    if (state === 'closed') throw closedError();
    if (state === 'idle') await connect();
    if (!connection) {
      throw createError(ERRORS.DN_AMQP_UNAVAILABLE, `AMQP connection is not available (state ${state})`, {
        details: { state },
      });
    }
    return connection;
  }

  /** The shared (cached) channel; setups and consumers run on it. */
  async function channel() {
    const conn = await usableConnection();
    if (!channelPromise) channelPromise = openChannel(conn, false);
    return channelPromise;
  }

  /** The shared (cached) confirm channel, for publishes that must be acknowledged by the broker. */
  async function confirmChannel() {
    const conn = await usableConnection();
    if (!confirmPromise) confirmPromise = openChannel(conn, true);
    return confirmPromise;
  }

  /**
   * Publishes on the confirm channel and resolves once the broker has confirmed the message;
   * rejects with DN_AMQP_NACK when the broker refuses it or the channel closes first.
   * Objects are sent as JSON.
   */
  async function publish(exchange, routingKey, content, publishOptions = {}) {
    const ch = await confirmChannel();
    const { body, options: opts } = toBuffer(content, publishOptions);
    await new Promise((resolve, reject) => {
      ch.publish(exchange, routingKey, body, opts, (err) => {
        if (err) {
          reject(createError(ERRORS.DN_AMQP_NACK, `broker did not confirm publish to ${exchange}/${routingKey}`, {
            details: { exchange, routingKey },
            cause: err,
          }));
        } else {
          resolve();
        }
      });
    });
  }

  /**
   * Registers `fn(channel)` to run on the shared channel before the client reports ready.
   * When already connected it also runs now; the returned promise settles with that run.
   */
  async function addSetup(fn) {
    if (typeof fn !== 'function') throw new TypeError('addSetup expects a function (channel) => ...');
    setups.push(fn);
    if (state !== 'ready') return undefined;
    try {
      return await fn(await channel());
    } catch (err) {
      removeSetup(fn);
      throw err;
    }
  }

  function removeSetup(fn) {
    const i = setups.indexOf(fn);
    if (i !== -1) setups.splice(i, 1);
  }

  /** Closes the connection and stops reconnecting. */
  async function close() {
    if (state === 'closed') return;
    state = 'closed';
    if (reconnectTimer) {
      clock.clearTimeout(reconnectTimer);
      reconnectTimer = null;
    }
    const conn = connection;
    forget();
    if (conn) await conn.close().catch(() => {});
    emitter.emit('closed');
  }

  Object.assign(emitter, {
    connect,
    channel,
    confirmChannel,
    publish,
    addSetup,
    removeSetup,
    close,
    isConnected: () => state === 'ready',
    connection: () => connection,
  });
  // A getter: Object.assign would copy the value once.
  Object.defineProperty(emitter, 'state', { enumerable: true, get: () => state });
  return emitter;
}

module.exports = { createRabbit };
