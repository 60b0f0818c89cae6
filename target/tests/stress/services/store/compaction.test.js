'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createObjectStore } = require('../../../../shared/clients/objectstore');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createPrng } = require('../../../../shared/utils/prng');
const { createArchive } = require('../../../../services/store/src/archive');
const { createCompactor } = require('../../../../services/store/src/compaction');
const { seriesPrefix } = require('../../../../services/store/src/segments');

// Compaction runs while windows keep arriving. Whatever point of a compaction an append lands at
// (after the listing, between reads, after the merged segment is written, between deletes), the
// archive keeps every window, each at the version written last. Each seed is one
// interleaving, the same on every run.

let dir;
let clock;
let objectStore;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-compaction-'));
  clock = createFakeClock(Date.UTC(2024, 4, 1));
  objectStore = createObjectStore({ OBJECT_STORE_DIR: dir }, { clock });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const MINUTE = 60_000;
const START = Date.UTC(2024, 4, 1, 10);

/** A writer of one series that remembers the version of each window it wrote last. */
function seriesWriter(archive, tenantId, prng) {
  const latest = new Map();
  return {
    latest,
    async write() {
      const known = [...latest.keys()];
      // a correction of a window already written, or a new window
      const windowStart = known.length > 0 && prng.bool(0.4) ? prng.pick(known) : new Date(START + prng.int(0, 500) * MINUTE).toISOString();
      const revision = (latest.has(windowStart) ? latest.get(windowStart).revision : 0) + 1;
      const point = { windowStart, windowEnd: new Date(Date.parse(windowStart) + MINUTE).toISOString(), revision, count: revision, sum: prng.int(0, 1e6) };
      latest.set(windowStart, point);
      await archive.append(tenantId, 'r', 'k', point);
    },
  };
}

/**
 * The object store as compaction sees it, with `inject` run once at the seed's point: after the
 * listing, after the n-th read, after the merged segment is written, or before the n-th delete.
 */
function interleaved(point, inject) {
  let reads = 0;
  let deletes = 0;
  let done = false;
  const once = async (here) => {
    if (!done && here) {
      done = true;
      await inject();
    }
  };
  return {
    ...objectStore,
    async listObjects(...args) {
      const listed = await objectStore.listObjects(...args);
      await once(point.at === 'list');
      return listed;
    },
    async getObject(...args) {
      const got = await objectStore.getObject(...args);
      reads += 1;
      await once(point.at === 'read' && reads === point.n);
      return got;
    },
    async putObject(...args) {
      const put = await objectStore.putObject(...args);
      await once(point.at === 'write');
      return put;
    },
    async deleteObject(...args) {
      deletes += 1;
      await once(point.at === 'delete' && deletes === point.n);
      return objectStore.deleteObject(...args);
    },
  };
}

async function runSeed(seed) {
  const prng = createPrng(seed);
  const tenantId = `t-${seed}`;
  // a bucket per seed keeps each listing to the seed's own objects
  const archive = createArchive({ objectStore, bucket: `seed-${seed}`, clock });
  const writer = seriesWriter(archive, tenantId, prng);
  const segments = prng.int(2, 7);
  for (let i = 0; i < segments; i++) await writer.write();
  const at = prng.pick(['list', 'read', 'write', 'delete']);
  const point = { at, n: prng.int(1, segments) };
  const compactor = createCompactor({ objectStore: interleaved(point, async () => {
    for (let i = prng.int(1, 2); i > 0; i--) await writer.write();
  }), archive });
  const prefix = seriesPrefix(tenantId, 'r', 'k');
  await compactor.compactSeries(prefix);
  const expected = [...writer.latest.values()].sort((a, b) => (a.windowStart < b.windowStart ? -1 : 1));
  const afterOne = await archive.read(tenantId, 'r', 'k');
  // a second, undisturbed compaction folds whatever the first left behind into one segment
  await createCompactor({ objectStore, archive }).compactSeries(prefix);
  const afterTwo = await archive.read(tenantId, 'r', 'k');
  const left = await objectStore.listObjects(archive.bucket, prefix);
  return { expected, afterOne, afterTwo, left, point };
}

describe('compaction while windows arrive, shuffled interleavings', () => {
  test.each([[1, 25], [26, 50], [51, 75], [76, 100], [101, 125], [126, 150], [151, 175], [176, 200]])('seeds %i to %i: no window is lost and each keeps its last version', async (from, to) => {
    for (let seed = from; seed <= to; seed++) {
      const { expected, afterOne, afterTwo, left, point } = await runSeed(seed);
      const context = `seed ${seed}, append at ${point.at} ${point.n}`;
      expect({ context, points: afterOne }).toEqual({ context, points: expected });
      expect({ context, points: afterTwo }).toEqual({ context, points: expected });
      expect({ context, segments: left.length }).toEqual({ context, segments: 1 });
    }
  }, 120_000);

  test('a long-lived series corrected and compacted over and over reads back as last written', async () => {
    const prng = createPrng('long-lived');
    const archive = createArchive({ objectStore, bucket: 'long-lived', clock });
    const writer = seriesWriter(archive, 't-long', prng);
    const compactor = createCompactor({ objectStore, archive });
    const prefix = seriesPrefix('t-long', 'r', 'k');
    for (let step = 0; step < 200; step++) {
      await writer.write();
      if (prng.bool(0.15)) await compactor.compactSeries(prefix);
    }
    await compactor.compactSeries(prefix);
    const expected = [...writer.latest.values()].sort((a, b) => (a.windowStart < b.windowStart ? -1 : 1));
    expect(await archive.read('t-long', 'r', 'k')).toEqual(expected);
    expect(await objectStore.listObjects(archive.bucket, prefix)).toHaveLength(1);
  }, 120_000);
});
