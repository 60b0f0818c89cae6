'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createObjectStore } = require('../../../../shared/clients/objectstore');

// The store maps keys to files, so every traversal form must be refused before any filesystem
// call, and nothing outside the bucket may be read, written or removed.
const PAYLOADS = [
  ['parent segment', '../x'],
  ['absolute path', '/etc/passwd'],
  ['nested escape', 'a/../../b'],
  ['escape to sibling bucket', '../other/data/secret'],
  ['dot segment', 'a/./b'],
  ['trailing parent', 'a/..'],
  ['empty segment', 'a//b'],
  ['percent-encoded parent', '%2e%2e/x'],
  ['percent-encoded slash', '..%2fx'],
  ['fully encoded', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['double-encoded', '%252e%252e%252fx'],
  ['encoded absolute', '%2fetc%2fpasswd'],
  ['backslash traversal', '..\\..\\x'],
  ['windows drive', 'C:/Windows/win.ini'],
  ['NUL byte', 'ok.txt\u0000../../x'],
  ['encoded NUL', 'ok.txt%00.png'],
  ['newline', 'a\nb'],
  ['too long', 'k'.repeat(1025)],
  ['empty key', ''],
];

describe('object store key validation', () => {
  let root;
  let store;
  let canary;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dn-sec-objects-'));
    const storeDir = path.join(root, 'store');
    fs.mkdirSync(storeDir);
    canary = path.join(root, 'x');
    fs.writeFileSync(canary, 'canary');
    store = createObjectStore({ OBJECT_STORE_DIR: storeDir });
    await store.ensureBucket('victim');
    await store.ensureBucket('other');
    await store.putObject('other', 'secret', 'top secret');
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  function snapshot() {
    const out = [];
    (function walk(dir) {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else out.push(`${path.relative(root, p)}=${fs.readFileSync(p, 'utf8')}`);
      }
    })(root);
    return out.sort();
  }

  test.each(PAYLOADS)('refuses a %s key on every operation', async (_, key) => {
    const before = snapshot();
    for (const op of [
      () => store.putObject('victim', key, 'pwned'),
      () => store.getObject('victim', key),
      () => store.deleteObject('victim', key),
    ]) {
      await expect(op()).rejects.toMatchObject({ code: 'DN_OBJECT_KEY_INVALID', statusCode: 400 });
    }
    expect(snapshot()).toEqual(before);
    expect(fs.readFileSync(canary, 'utf8')).toBe('canary');
  });

  test('accepts ordinary keys that merely contain dots or percent signs', async () => {
    for (const key of ['a..b/c', '.hidden/file', 'report 100%.csv', 'v1.2.3/..data', 'ünïcode/ключ']) {
      await store.putObject('victim', key, key);
      expect((await store.getObject('victim', key)).body.toString()).toBe(key);
    }
    expect(fs.readFileSync(canary, 'utf8')).toBe('canary');
  });

  test('bucket names cannot escape the store root either', async () => {
    for (const bucket of ['..', '../x', 'a/b', '.', '']) {
      await expect(store.headBucket(bucket)).rejects.toMatchObject({ code: 'DN_BUCKET_NAME_INVALID' });
      await expect(store.putObject(bucket, 'k', 'v')).rejects.toMatchObject({ code: 'DN_BUCKET_NAME_INVALID' });
    }
  });
});
