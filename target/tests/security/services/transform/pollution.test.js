'use strict';

// Tenant-controlled JSON (mapping configs, what a UDF returns) is merged into the service's own
// objects. Keys such as `__proto__` and `constructor.prototype` must not reach the prototypes
// every object of the process shares.

const path = require('node:path');
const { Worker } = require('node:worker_threads');

const SRC = path.join(__dirname, '..', '..', '..', '..', 'services', 'transform', 'src');

// This realm's built-in prototypes are locked by the test runner, so the merge runs in a worker
// thread of its own, a realm as open as the service's in production, and reports what it sees.
function mergeInFreshRealm(kind, payloadJson) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { applyPatch } = require(workerData.src + '/mapping');
       const { effectiveConfig } = require(workerData.src + '/mappingConfig');
       const payload = JSON.parse(workerData.payloadJson);
       let error = null;
       try {
         if (workerData.kind === 'patch') {
           applyPatch({ name: 'n', ts: 't', properties: {}, dimensions: {} }, payload, 'udf');
         } else {
           effectiveConfig(payload);
         }
       } catch (err) {
         error = err.code || err.name;
       }
       const probe = {};
       parentPort.postMessage({ error, isAdmin: probe.isAdmin === undefined ? 'unset' : String(probe.isAdmin), own: Object.getOwnPropertyNames(Object.prototype).includes('isAdmin') });`,
      { eval: true, workerData: { src: SRC, kind, payloadJson } },
    );
    worker.once('message', (msg) => {
      worker.terminate().then(() => resolve(msg), reject);
    });
    worker.once('error', reject);
  });
}

const PAYLOADS = [
  ['a UDF patch with __proto__', 'patch', '{"properties":{"__proto__":{"isAdmin":true}}}'],
  ['a UDF patch with constructor.prototype', 'patch', '{"dimensions":{"constructor":{"prototype":{"isAdmin":true}}}}'],
  ['a mapping config with __proto__', 'config', '{"__proto__":{"isAdmin":true}}'],
  ['a mapping config with constructor.prototype', 'config', '{"options":{"constructor":{"prototype":{"isAdmin":true}}}}'],
];

describe('prototype pollution through merges', () => {
  test.each(PAYLOADS)('%s leaves Object.prototype untouched', async (label, kind, payloadJson) => {
    const seen = await mergeInFreshRealm(kind, payloadJson);
    expect(seen).toMatchObject({ isAdmin: 'unset', own: false });
  });

  test('a merge keeps the ordinary keys of a payload that also carries __proto__', async () => {
    const { applyPatch } = require('../../../../services/transform/src/mapping');
    const record = { name: 'n', ts: 't', properties: { a: 1 }, dimensions: {} };
    applyPatch(record, JSON.parse('{"properties":{"b":2,"__proto__":{"isAdmin":true}}}'), 'udf');
    expect(record.properties).toEqual({ a: 1, b: 2 });
    expect(Object.getPrototypeOf(record.properties)).toBe(Object.prototype);
  });
});
