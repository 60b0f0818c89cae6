'use strict';

const crypto = require('node:crypto');

/**
 * The stream partition of a routed record: a stable hash of its tenant and its full series (all
 * its dimensions, sorted by name) modulo the partition count, so the events of one series keep
 * their order on one partition.
 */
function partitionOf(tenantId, dimensions, partitions) {
  const dims = dimensions && typeof dimensions === 'object' ? dimensions : {};
  const series = Object.keys(dims)
    .sort()
    .map((k) => `${k}=${String(dims[k])}`)
    .join(',');
  const h = crypto.createHash('sha256').update(`${tenantId}\n${series}`).digest();
  return h.readUInt32BE(0) % partitions;
}

module.exports = { partitionOf };
