'use strict';

const { createBucket, take } = require('./tokenBucket');

// Per-instance buckets, used while Redis is unreachable. Bounded: the oldest bucket is dropped
// when the map is full, which can only make a client's limit more generous, never stricter.
function createLocalBuckets({ maxEntries = 10000 } = {}) {
  const buckets = new Map();
  return {
    take(id, now, policy, cost = 1) {
      let bucket = buckets.get(id);
      if (!bucket) {
        if (buckets.size >= maxEntries) buckets.delete(buckets.keys().next().value);
        bucket = createBucket(now, policy);
        buckets.set(id, bucket);
      }
      return take(bucket, now, policy, cost);
    },
    size() {
      return buckets.size;
    },
    clear() {
      buckets.clear();
    },
  };
}

module.exports = { createLocalBuckets };
