'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createObjectStore } = require('../../../../shared/clients/objectstore');
const { createFakeClock } = require('../../../../shared/utils/clock');
const { createArchive } = require('../../../../services/store/src/archive');
const { createCompactor, mergeSegments, outputKeyFor } = require('../../../../services/store/src/compaction');
const { windowEvent } = require('./fixtures');

// The archive keeps every accepted window as a segment in the object store; reads and compaction
// merge a series' segments so that each window appears once, as last written.

const dirs = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function setup({ minSegments = 2 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-archive-'));
  dirs.push(dir);
  const clock = createFakeClock(Date.UTC(2024, 4, 1));
  const objectStore = createObjectStore({ OBJECT_STORE_DIR: dir }, { clock });
  const archive = createArchive({ objectStore, bucket: 'metrics', clock });
  const compactor = createCompactor({ objectStore, archive, minSegments });
  return { clock, objectStore, archive, compactor };
}

const point = (opts) => {
  const { data } = windowEvent(opts);
  return { windowKind: data.windowKind, windowStart: data.windowStart, windowEnd: data.windowEnd, revision: data.revision, count: data.count, sum: data.sum };
};

describe('merging segments', () => {
  test('the version of a window written last wins', () => {
    const v1 = point({ values: [1] });
    const v2 = point({ values: [1, 2], revision: 2 });
    expect(mergeSegments([{ points: [v1] }, { points: [v2] }])).toEqual([v2]);
  });

  test('each window once, in window order, whatever order the segments hold them in', () => {
    const a = point({ start: '2024-05-01T10:02:00.000Z' });
    const b = point({ start: '2024-05-01T10:00:00.000Z' });
    const c = point({ start: '2024-05-01T10:01:00.000Z' });
    const c2 = { ...c, revision: 2, sum: 99 };
    expect(mergeSegments([{ points: [a, b] }, { points: [c] }, { points: [c2, b] }]).map((p) => [p.windowStart, p.sum])).toEqual([
      ['2024-05-01T10:00:00.000Z', 10], ['2024-05-01T10:01:00.000Z', 99], ['2024-05-01T10:02:00.000Z', 10],
    ]);
  });

  test('the compacted segment sorts after every input but the newest, so after nothing appended later', () => {
    const inputs = ['archive/s/000000000000001-000000001-aa.json', 'archive/s/000000000000001-000000002-aa.json'];
    const out = outputKeyFor(inputs);
    const later = 'archive/s/000000000000001-000000003-aa.json';
    expect([later, out, ...inputs].sort()).toEqual([inputs[0], out, inputs[1], later]);
  });
});

describe('archive and compaction on the filesystem object store', () => {
  test('a corrected window reads back corrected, before and after compaction', async () => {
    const { archive, compactor } = setup();
    await archive.append('t1', 'r', 'k', point({ values: [5] }));
    await archive.append('t1', 'r', 'k', point({ values: [5, 6], revision: 2 }));
    expect((await archive.read('t1', 'r', 'k')).map((p) => [p.revision, p.sum])).toEqual([[2, 11]]);
    const [prefix] = await archive.seriesPrefixes();
    expect(await compactor.compactSeries(prefix)).toMatchObject({ merged: 2, points: 1 });
    expect((await archive.read('t1', 'r', 'k')).map((p) => [p.revision, p.sum])).toEqual([[2, 11]]);
  });

  test('a correction written after a compaction still wins over the compacted version', async () => {
    const { archive, compactor } = setup();
    for (let i = 0; i < 3; i++) await archive.append('t1', 'r', 'k', point({ start: Date.UTC(2024, 4, 1, 10, i), values: [i] }));
    await compactor.compactAll();
    await archive.append('t1', 'r', 'k', point({ start: Date.UTC(2024, 4, 1, 10, 1), values: [40, 2], revision: 2 }));
    await compactor.compactAll();
    expect((await archive.read('t1', 'r', 'k')).map((p) => p.sum)).toEqual([0, 42, 2]);
  });

  test('compaction leaves one segment per series and deletes exactly what it merged', async () => {
    const { archive, compactor, objectStore } = setup();
    for (let i = 0; i < 4; i++) await archive.append('t1', 'r', 'a', point({ start: Date.UTC(2024, 4, 1, 10, i) }));
    await archive.append('t1', 'r', 'b', point({}));
    expect(await compactor.compactAll()).toBe(4);
    const keys = (await objectStore.listObjects('metrics', 'archive/')).map((o) => o.key);
    expect(keys).toHaveLength(2);
    expect((await archive.read('t1', 'r', 'a'))).toHaveLength(4);
    expect((await archive.read('t1', 'r', 'b'))).toHaveLength(1);
  });

  test('a series with fewer segments than the minimum is left alone', async () => {
    const { archive, compactor, objectStore } = setup({ minSegments: 3 });
    await archive.append('t1', 'r', 'a', point({}));
    await archive.append('t1', 'r', 'a', point({ revision: 2 }));
    expect(await compactor.compactAll()).toBe(0);
    expect(await objectStore.listObjects('metrics', 'archive/')).toHaveLength(2);
  });

  test('a segment appended while a compaction runs survives it', async () => {
    const { archive, objectStore } = setup();
    for (let i = 0; i < 3; i++) await archive.append('t1', 'r', 'k', point({ start: Date.UTC(2024, 4, 1, 10, i) }));
    // the append lands once the compacted segment is written, before the inputs are deleted
    let appended = false;
    const store = {
      ...objectStore,
      async putObject(bucket, key, body, meta) {
        const res = await objectStore.putObject(bucket, key, body, meta);
        if (key.endsWith('.c.json') && !appended) {
          appended = true;
          await archive.append('t1', 'r', 'k', point({ start: Date.UTC(2024, 4, 1, 11), values: [7] }));
        }
        return res;
      },
    };
    const compactor = createCompactor({ objectStore: store, archive });
    await compactor.compactAll();
    expect((await archive.read('t1', 'r', 'k')).map((p) => p.windowStart)).toEqual([
      '2024-05-01T10:00:00.000Z', '2024-05-01T10:01:00.000Z', '2024-05-01T10:02:00.000Z', '2024-05-01T11:00:00.000Z',
    ]);
  });

  test('series of different tenants with the same rollup and key are archived apart', async () => {
    const { archive } = setup();
    await archive.append('t1', 'r', 'k', point({ values: [1] }));
    await archive.append('t2', 'r', 'k', point({ values: [2] }));
    expect((await archive.read('t1', 'r', 'k')).map((p) => p.sum)).toEqual([1]);
    expect((await archive.read('t2', 'r', 'k')).map((p) => p.sum)).toEqual([2]);
    expect(await archive.read('t3', 'r', 'k')).toEqual([]);
  });
});
