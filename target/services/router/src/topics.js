'use strict';

// Tenants' topics and their subscriptions, stored in the pipeline database. Routing reads a
// tenant's subscriptions for every event, so they are cached in memory per tenant; a change made
// through this store drops the tenant's entry at once, and an entry also expires after `cacheMs`
// so changes made by another router instance are picked up.

const crypto = require('node:crypto');
const { routerError } = require('./errors');
const { validatePattern } = require('./match');

const TOPIC_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
// The event field a subscription orders by: the event id, its source, or one of its properties
// or dimensions.
const KEY_FIELD = /^(?:eventId|source|name|(?:properties|dimensions)\.[A-Za-z0-9_-]{1,64})$/;

function toTopic(row) {
  return { name: row.name, description: row.description, createdAt: row.created_at.toISOString() };
}

function toSubscription(row) {
  return Object.freeze({
    id: row.id,
    topic: row.topic,
    pattern: row.pattern,
    ordered: row.ordered,
    keyField: row.key_field,
    createdAt: row.created_at.toISOString(),
  });
}

/**
 * @param {object} deps
 * @param {object} deps.postgres clients/postgres (database `pipeline`)
 * @param {{ now(): number }} deps.clock
 * @param {number} [deps.cacheMs] lifetime of a cached tenant entry
 * @param {number} [deps.maxTopics] per tenant
 * @param {number} [deps.maxSubscriptions] per tenant
 * @param {() => string} [deps.idFactory] subscription ids
 */
function createTopicStore({ postgres, clock, cacheMs = 30_000, maxTopics = 100, maxSubscriptions = 200, idFactory = () => `sub-${crypto.randomUUID()}` }) {
  const cache = new Map(); // tenantId -> { expiresAt, topics: Set<string>, subscriptions: [] }
  // Bumped by every change of a tenant, so a load that overlapped a change is not cached.
  const generations = new Map();
  let loads = 0;

  const query = (sql, params) => postgres.query('pipeline', sql, params);

  function invalidate(tenantId) {
    generations.set(tenantId, (generations.get(tenantId) || 0) + 1);
    cache.delete(tenantId);
  }

  /** `{ topics: Set<name>, subscriptions: [...] }` of a tenant, from the cache when fresh. */
  async function routingTable(tenantId) {
    const hit = cache.get(tenantId);
    if (hit && hit.expiresAt > clock.now()) return hit;
    loads += 1;
    const generation = generations.get(tenantId) || 0;
    const [topics, subs] = await Promise.all([
      query('SELECT name FROM router_topics WHERE tenant_id = $1', [tenantId]),
      query('SELECT * FROM router_subscriptions WHERE tenant_id = $1 ORDER BY seq', [tenantId]),
    ]);
    const entry = Object.freeze({
      expiresAt: clock.now() + cacheMs,
      topics: new Set(topics.rows.map((r) => r.name)),
      subscriptions: Object.freeze(subs.rows.map(toSubscription)),
    });
    if ((generations.get(tenantId) || 0) === generation) cache.set(tenantId, entry);
    return entry;
  }

  function checkTopicName(name) {
    if (typeof name !== 'string' || !TOPIC_NAME.test(name)) {
      throw routerError('ROUTER_INVALID_REQUEST', 'topic name must be 1-64 lower-case letters, digits, ".", "_" or "-"');
    }
  }

  async function createTopic(tenantId, { name, description = '' }) {
    checkTopicName(name);
    const { rows: [{ n }] } = await query('SELECT count(*)::int AS n FROM router_topics WHERE tenant_id = $1', [tenantId]);
    if (n >= maxTopics) throw routerError('ROUTER_LIMIT_EXCEEDED', `a tenant has at most ${maxTopics} topics`);
    const { rows } = await query(
      `INSERT INTO router_topics (tenant_id, name, description, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING *`,
      [tenantId, name, description, new Date(clock.now())],
    );
    if (rows.length === 0) throw routerError('ROUTER_TOPIC_EXISTS', `topic ${name} already exists`);
    invalidate(tenantId);
    return { ...toTopic(rows[0]), subscriptions: [] };
  }

  async function listTopics(tenantId) {
    const { rows } = await query(
      `SELECT t.*, count(s.id)::int AS subscription_count FROM router_topics t
       LEFT JOIN router_subscriptions s ON s.tenant_id = t.tenant_id AND s.topic = t.name
       WHERE t.tenant_id = $1 GROUP BY t.tenant_id, t.name ORDER BY t.name`,
      [tenantId],
    );
    return rows.map((r) => ({ ...toTopic(r), subscriptionCount: r.subscription_count }));
  }

  async function getTopic(tenantId, name) {
    const { rows } = await query('SELECT * FROM router_topics WHERE tenant_id = $1 AND name = $2', [tenantId, name]);
    if (rows.length === 0) throw routerError('ROUTER_TOPIC_NOT_FOUND', `topic ${name} not found`);
    const subs = await query('SELECT * FROM router_subscriptions WHERE tenant_id = $1 AND topic = $2 ORDER BY seq', [tenantId, name]);
    return { ...toTopic(rows[0]), subscriptions: subs.rows.map(toSubscription) };
  }

  async function deleteTopic(tenantId, name) {
    const { rowCount } = await query('DELETE FROM router_topics WHERE tenant_id = $1 AND name = $2', [tenantId, name]);
    invalidate(tenantId);
    if (rowCount === 0) throw routerError('ROUTER_TOPIC_NOT_FOUND', `topic ${name} not found`);
  }

  async function subscribe(tenantId, topic, { pattern, ordered = false, keyField = null }) {
    validatePattern(pattern);
    if (ordered && (typeof keyField !== 'string' || !KEY_FIELD.test(keyField))) {
      throw routerError('ROUTER_INVALID_REQUEST', 'an ordered subscription needs keyField: eventId, source, name, properties.<name> or dimensions.<name>');
    }
    if (!ordered && keyField !== null && keyField !== undefined) {
      throw routerError('ROUTER_INVALID_REQUEST', 'keyField is only for ordered subscriptions');
    }
    const exists = await query('SELECT 1 FROM router_topics WHERE tenant_id = $1 AND name = $2', [tenantId, topic]);
    if (exists.rowCount === 0) throw routerError('ROUTER_TOPIC_NOT_FOUND', `topic ${topic} not found`);
    const { rows: [{ n }] } = await query('SELECT count(*)::int AS n FROM router_subscriptions WHERE tenant_id = $1', [tenantId]);
    if (n >= maxSubscriptions) throw routerError('ROUTER_LIMIT_EXCEEDED', `a tenant has at most ${maxSubscriptions} subscriptions`);
    const { rows } = await query(
      `INSERT INTO router_subscriptions (id, tenant_id, topic, pattern, ordered, key_field, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [idFactory(), tenantId, topic, pattern, Boolean(ordered), ordered ? keyField : null, new Date(clock.now())],
    );
    invalidate(tenantId);
    return toSubscription(rows[0]);
  }

  async function unsubscribe(tenantId, topic, id) {
    const { rowCount } = await query('DELETE FROM router_subscriptions WHERE tenant_id = $1 AND topic = $2 AND id = $3', [tenantId, topic, id]);
    invalidate(tenantId);
    if (rowCount === 0) throw routerError('ROUTER_SUBSCRIPTION_NOT_FOUND', `subscription ${id} not found`);
  }

  return {
    routingTable,
    invalidate,
    createTopic,
    listTopics,
    getTopic,
    deleteTopic,
    subscribe,
    unsubscribe,
    stats: () => ({ loads, cachedTenants: cache.size }),
  };
}

module.exports = { createTopicStore, TOPIC_NAME, KEY_FIELD };
