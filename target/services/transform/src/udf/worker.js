'use strict';

// One UDF worker thread. Everything a call needs arrives in its message ({ seq, udf, input });
// the answer carries the result as JSON text and says whether the UDF had to be compiled for it.

const { parentPort } = require('node:worker_threads');
const { compileUdf, runUdf } = require('./sandbox');
const { createCompiledCache } = require('./cache');

const cache = createCompiledCache();

// What a UDF threw may be any value, with getters of its own: only strings leave the worker.
function describe(err) {
  try {
    if (err !== null && typeof err === 'object') return { name: String(err.name), message: String(err.message) };
    return { name: 'Error', message: String(err) };
  } catch {
    return { name: 'Error', message: 'the UDF threw a value that cannot be described' };
  }
}

parentPort.on('message', ({ seq, udf, input }) => {
  let compiled = false;
  try {
    let script = cache.get(udf);
    if (script === undefined) {
      script = compileUdf(udf);
      cache.set(udf, script);
      compiled = true;
    }
    const json = runUdf(script, input);
    // A UDF can replace JSON.stringify inside its context: only text that parses leaves.
    JSON.parse(json);
    parentPort.postMessage({ seq, ok: true, compiled, json });
  } catch (err) {
    parentPort.postMessage({ seq, ok: false, compiled, error: describe(err) });
  }
});
