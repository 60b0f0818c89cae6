'use strict';

// The consumer of `aggregate.routed` (router.routed events). Each routed record is appended once
// to its stream partition: the id check and the append are one Lua script, so a redelivery of an
// event already appended is acknowledged without appending it again, and a crash between the two
// cannot lose the record.

const { contracts: { validateEnvelope } } = require('../../../shared');
const { aggregateError } = require('./errors');
const { partitionOf } = require('./partition');
const K = require('./state/keys');

const CONSUMED_TYPE = 'router.routed';

const APPEND_ONCE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 't', ARGV[3], 'topic', ARGV[4], 'e', ARGV[5])
end
return false
`;

// An event that is not a router.routed envelope never will be: it goes to the dead queue at once.
function invalidEvent(message) {
  const err = aggregateError('AGGREGATE_EVENT_INVALID', message);
  err.retryable = false;
  return err;
}

/** The record of a router.routed envelope, as aggregate reads it; throws AGGREGATE_EVENT_INVALID. */
function routedRecordOf(event) {
  const { valid, errors } = validateEnvelope(event);
  if (!valid || event.type !== CONSUMED_TYPE) {
    const why = valid ? `type ${event.type} is not ${CONSUMED_TYPE}` : errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw invalidEvent(`event is not a ${CONSUMED_TYPE} envelope: ${why}`);
  }
  const record = event.data.record;
  const ts = Date.parse(record.ts);
  if (!Number.isFinite(ts)) throw invalidEvent(`record ts ${JSON.stringify(record.ts)} is not a time`);
  return {
    id: event.id,
    tenantId: event.tenantId,
    topic: event.data.topic,
    record: { name: record.name, ts, properties: record.properties || {}, dimensions: record.dimensions || {} },
  };
}

/**
 * @param {object} deps
 * @param {import('ioredis').Redis} deps.redis
 * @param {number} deps.partitions
 * @param {number} deps.dedupTtlMs
 * @param {import('node:events').EventEmitter} [deps.emitter] gets 'appended' { id, partition, duplicate }
 */
function createIngress({ redis, partitions, dedupTtlMs, emitter }) {
  redis.defineCommand('aggAppendOnce', { numberOfKeys: 2, lua: APPEND_ONCE });

  /** Appends a routed record to its partition; resolves `{ partition, duplicate }`. */
  async function append(routed) {
    const partition = partitionOf(routed.tenantId, routed.record.dimensions, partitions);
    const entryId = await redis.aggAppendOnce(
      K.dedupKey(routed.id),
      K.streamKey(partition),
      dedupTtlMs,
      routed.id,
      routed.tenantId,
      routed.topic,
      JSON.stringify(routed.record),
    );
    const outcome = { id: routed.id, partition, duplicate: entryId === null };
    if (emitter) emitter.emit('appended', outcome);
    return outcome;
  }

  /** The AMQP handler: `(event) => Promise`. */
  function handleRouted(event) {
    return append(routedRecordOf(event));
  }

  return { append, handleRouted };
}

module.exports = { createIngress, routedRecordOf, CONSUMED_TYPE };
