'use strict';

// Shared by the router's tests of every category: transform.record envelopes, a recording
// publisher, and the HTTP calls that set up a tenant's topics.

const { validateEnvelope } = require('../../../../shared/contracts');
const { call, internalHeaders } = require('../../../support/http');

let counter = 0;

/** A valid transform.record envelope (contract: shared/contracts/transform/schemas/transform.record.v1.json). */
function record({ id, tenantId = 'tenant-acme', name = 'pageview', properties = {}, dimensions = {}, occurredAt = '2024-05-01T10:00:00.000Z' } = {}) {
  counter += 1;
  const eventId = id || `evt-${counter}`;
  return {
    id: eventId,
    type: 'transform.record',
    version: 1,
    occurredAt,
    tenantId,
    data: {
      eventId,
      batchId: 'batch-1',
      source: 'http',
      name,
      ts: occurredAt,
      schemaVersion: 2,
      properties,
      dimensions,
      mappingVersion: 1,
    },
  };
}

/** What the consumer hands a handler as `msg` for a delivery without extra headers. */
function delivery(envelope, headers = {}) {
  return { properties: { messageId: envelope.id, headers }, fields: { redelivered: false } };
}

/**
 * A publisher that records what it is given, checks each envelope against its contract like the
 * real one, and fails when `failWith(envelope, options, attempt)` returns an error.
 */
function recordingPublisher({ failWith } = {}) {
  const published = [];
  const attempts = new Map();
  return {
    published,
    attempts,
    async publish(routingKey, envelope, options = {}) {
      const n = (attempts.get(envelope.id) || 0) + 1;
      attempts.set(envelope.id, n);
      const { valid, errors } = validateEnvelope(envelope);
      if (!valid) throw new Error(`invalid envelope: ${JSON.stringify(errors)}`);
      const err = failWith && failWith(envelope, options, n);
      if (err) throw err;
      published.push({ routingKey, envelope, options });
      return envelope;
    },
    /** Copies delivered to one subscription, in publish order. */
    to(subscriptionId) {
      return published.filter((p) => p.envelope.data.subscriptionId === subscriptionId).map((p) => p.envelope);
    },
  };
}

function tenantApi(app, tenantId, role = 'admin') {
  const headers = internalHeaders({ tenantId, role });
  return {
    headers,
    createTopic: (name, description) => call(app, { method: 'POST', url: '/v1/topics', headers, payload: description === undefined ? { name } : { name, description } }),
    async subscribe(topic, pattern, extra = {}) {
      const res = await call(app, { method: 'POST', url: `/v1/topics/${topic}/subscriptions`, headers, payload: { pattern, ...extra } });
      return res;
    },
    /** A topic and one subscription per pattern; resolves the subscriptions. */
    async setup(topic, patterns, extra = {}) {
      const created = await this.createTopic(topic);
      if (created.statusCode !== 201) throw new Error(`topic ${topic}: ${created.statusCode} ${created.body}`);
      const subs = [];
      for (const pattern of patterns) {
        const res = await this.subscribe(topic, pattern, extra);
        if (res.statusCode !== 201) throw new Error(`subscribe ${pattern}: ${res.statusCode} ${res.body}`);
        subs.push(res.json());
      }
      return subs;
    },
    get: (url) => call(app, { method: 'GET', url, headers }),
    post: (url, payload) => call(app, { method: 'POST', url, headers, payload }),
    del: (url) => call(app, { method: 'DELETE', url, headers }),
  };
}

module.exports = { record, delivery, recordingPublisher, tenantApi };
