'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { useNamespace } = require('../../../support/namespace');
const { createObjectStore } = require('../../../../shared/clients/objectstore');
const { loadConfig } = require('../../../../shared/utils/config');
const { createFakeClock } = require('../../../../shared/utils/clock');

describe('filesystem object store', () => {
  const ns = useNamespace({ databases: [], rabbit: false });
  let store;
  let clock;

  beforeAll(() => {
    clock = createFakeClock(1_700_000_000_000);
    store = createObjectStore(loadConfig(ns.env), { clock });
  });

  test('headBucket on a missing bucket is a bodiless 404 NotFound, as in S3', async () => {
    const err = await store.headBucket('segments').catch((e) => e);
    expect(err).toMatchObject({ statusCode: 404, code: 'NotFound', $metadata: { httpStatusCode: 404 } });
    expect(err.code).not.toBe('NoSuchBucket');
  });

  test('ensureBucket creates a missing bucket once and is idempotent', async () => {
    expect(await store.ensureBucket('segments')).toEqual({ bucket: 'segments', created: true });
    expect(await store.ensureBucket('segments')).toEqual({ bucket: 'segments', created: false });
    await expect(store.headBucket('segments')).resolves.toEqual({ bucket: 'segments' });
    await expect(store.createBucket('segments')).rejects.toMatchObject({ statusCode: 409, code: 'BucketAlreadyOwnedByYou' });
  });

  test('puts, gets, lists and deletes objects with metadata', async () => {
    await store.ensureBucket('lake');
    const put = await store.putObject('lake', 'tenants/t1/2024/01.csv', 'a,b\n1,2\n', {
      contentType: 'text/csv',
      metadata: { rows: '1' },
    });
    expect(put).toEqual({ etag: expect.stringMatching(/^[0-9a-f]{32}$/), size: 8 });
    await store.putObject('lake', 'tenants/t1/2024/02.csv', Buffer.from('x'));
    await store.putObject('lake', 'tenants/t2/2024/01.csv', new Uint8Array([1, 2, 3]));
    const got = await store.getObject('lake', 'tenants/t1/2024/01.csv');
    expect(got.body.toString()).toBe('a,b\n1,2\n');
    expect(got).toMatchObject({ contentType: 'text/csv', metadata: { rows: '1' }, size: 8, etag: put.etag, lastModified: 1_700_000_000_000 });
    expect((await store.listObjects('lake', 'tenants/t1/')).map((o) => o.key)).toEqual([
      'tenants/t1/2024/01.csv',
      'tenants/t1/2024/02.csv',
    ]);
    await store.deleteObject('lake', 'tenants/t1/2024/02.csv');
    await store.deleteObject('lake', 'tenants/t1/2024/02.csv');
    expect((await store.listObjects('lake')).map((o) => o.key)).toEqual(['tenants/t1/2024/01.csv', 'tenants/t2/2024/01.csv']);
  });

  test('missing objects and buckets answer with S3 error codes', async () => {
    await store.ensureBucket('errors');
    await expect(store.getObject('errors', 'nope.bin')).rejects.toMatchObject({ statusCode: 404, code: 'NoSuchKey' });
    await expect(store.getObject('absent-bucket', 'k')).rejects.toMatchObject({ statusCode: 404, code: 'NoSuchBucket' });
    await expect(store.putObject('absent-bucket', 'k', 'v')).rejects.toMatchObject({ statusCode: 404, code: 'NoSuchBucket' });
    await expect(store.headBucket('Bad_Name')).rejects.toMatchObject({ code: 'DN_BUCKET_NAME_INVALID' });
  });

  test('overwrites atomically and leaves no temporary files behind', async () => {
    await store.ensureBucket('atomic');
    await store.putObject('atomic', 'seg/1', 'old');
    await Promise.all([store.putObject('atomic', 'seg/1', 'new-a'), store.putObject('atomic', 'seg/1', 'new-b')]);
    expect(['new-a', 'new-b']).toContain((await store.getObject('atomic', 'seg/1')).body.toString());
    expect(fs.readdirSync(path.join(ns.env.OBJECT_STORE_DIR, 'atomic', 'tmp'))).toEqual([]);
  });

  test('refuses a key that collides with an existing key path', async () => {
    await store.ensureBucket('paths');
    await store.putObject('paths', 'a/b', '1');
    await expect(store.putObject('paths', 'a', '2')).rejects.toMatchObject({ statusCode: 409, code: 'ObjectPathConflict' });
    await expect(store.putObject('paths', 'a/b/c', '3')).rejects.toMatchObject({ statusCode: 409 });
    await store.deleteObject('paths', 'a/b');
    await store.putObject('paths', 'a', '2');
    expect((await store.listObjects('paths')).map((o) => o.key)).toEqual(['a']);
  });
});
