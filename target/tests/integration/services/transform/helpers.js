'use strict';

// Shared by the transform tests of every category: ingestion.record samples, gateway headers and
// a publisher of ingestion.record envelopes into the namespace's broker.

const amqp = require('amqplib');
const { internalHeaders } = require('../../../support/http');
const { tapEvents } = require('../../../support/event-tap');

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** ingestion.record data; `n` makes the ids unique. */
function record(n = 1, overrides = {}) {
  return {
    eventId: `evt-${n}`,
    batchId: 'batch-1',
    source: 'http',
    name: 'page.view',
    ts: new Date(T0 - HOUR).toISOString(),
    schemaVersion: 2,
    properties: { durationMs: 1200, path: '/pricing' },
    dimensions: { country: 'DE' },
    ...overrides,
  };
}

function envelope(tenantId, data) {
  return { id: data.eventId, type: 'ingestion.record', version: 1, occurredAt: data.ts, tenantId, data };
}

const admin = (tenantId = 't-acme') => internalHeaders({ tenantId, role: 'admin' });
const viewer = (tenantId = 't-acme') => internalHeaders({ tenantId, role: 'viewer' });

/** A confirm channel on the namespace's broker that publishes ingestion.record envelopes. */
async function ingestionPublisher(ns) {
  const conn = await amqp.connect(ns.env.AMQP_URL);
  const ch = await conn.createConfirmChannel();
  conn.on('error', () => {});
  ch.on('error', () => {});
  await ch.assertExchange('dn.events', 'topic', { durable: true });
  return {
    async publish(env) {
      ch.publish('dn.events', 'ingestion.record', Buffer.from(JSON.stringify(env)), { persistent: true, messageId: env.id, contentType: 'application/json' });
      await ch.waitForConfirms();
    },
    async close() {
      await conn.close().catch(() => {});
    },
  };
}

/**
 * Collects the deliveries a work queue dead-letters (dn.dlx under the queue's name), on a queue
 * of its own; `until(condition)` re-checks on each one.
 */
function tapDeadLetters(ns, queue) {
  return tapEvents(ns, queue, { exchange: 'dn.dlx' });
}

/** Messages waiting in a queue of the namespace's vhost (checked through a passive declare). */
async function queueDepth(ns, queue) {
  const conn = await amqp.connect(ns.env.AMQP_URL);
  try {
    const ch = await conn.createChannel();
    const { messageCount } = await ch.checkQueue(queue);
    return messageCount;
  } finally {
    await conn.close().catch(() => {});
  }
}

module.exports = { T0, HOUR, DAY, record, envelope, admin, viewer, ingestionPublisher, queueDepth, tapDeadLetters };
