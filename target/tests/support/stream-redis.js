'use strict';

// Redis clients on a test namespace for the shared stream tests: every client a test opens is
// closed before the namespace is dropped, and streams are filled the two ways the tests need.

const { useNamespace } = require('./namespace');
const { createRedis } = require('../../shared/clients/redis');
const { silentLogger } = require('../../shared/utils/logger');
const { append } = require('../../shared/stream');

/**
 * Registers a namespace with Redis only. Call at the top of a test file.
 * @returns {{ ns, redis: () => object, closeLater: (close: () => Promise<unknown>) => void }}
 */
function useStreamRedis() {
  const closers = [];
  // Registered before useNamespace so it runs before the namespace is dropped.
  afterAll(async () => {
    for (const close of closers) await close();
  });
  const ns = useNamespace({ databases: [], rabbit: false });

  /** A namespaced client, closed after the file. */
  function redis() {
    const c = createRedis({ REDIS_URL: ns.env.REDIS_URL, REDIS_PREFIX: ns.env.REDIS_PREFIX }, { logger: silentLogger });
    closers.push(() => c.close());
    return c;
  }

  return { ns, redis, closeLater: (close) => closers.push(close) };
}

/** Appends entries `{ n: from … from+n-1 }` one at a time through the stream module; their ids in order. */
async function appendN(r, stream, n, from = 0) {
  const ids = [];
  for (let i = from; i < from + n; i++) ids.push(await append(r, stream, { n: String(i) }));
  return ids;
}

/** Appends `n` entries in one pipeline (for volume); their ids in order. */
async function fillStream(r, stream, n) {
  const pipeline = r.pipeline();
  for (let i = 0; i < n; i++) pipeline.xadd(stream, '*', 'n', String(i));
  const results = await pipeline.exec();
  return results.map(([err, id]) => {
    if (err) throw err;
    return id;
  });
}

module.exports = { useStreamRedis, appendN, fillStream };
