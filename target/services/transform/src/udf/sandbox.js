'use strict';

// Compiling and running tenant UDFs inside a worker thread (see pool.js). A UDF's source is the
// body of `function (input, helpers)`; it returns a patch `{ name?, properties?, dimensions? }`
// for the record, or null.
//
// Every call runs in a fresh context of its own, given the input and the helpers, so nothing a
// call leaves behind is seen by the next one. Code generation from strings is off in the context.

const vm = require('node:vm');

const helpers = Object.freeze({
  lower: (value) => String(value).toLowerCase(),
  upper: (value) => String(value).toUpperCase(),
  round: (value, digits = 0) => {
    const factor = 10 ** digits;
    return Math.round(Number(value) * factor) / factor;
  },
  coalesce: (...values) => values.find((value) => value !== undefined && value !== null),
});

/** A compiled UDF: a script that evaluates to the UDF function in whatever context it runs in. */
function compileUdf(udf) {
  return new vm.Script(`(function udf(input, helpers) {\n'use strict';\n${udf.source}\n})`, {
    filename: `udf:${udf.name}@${udf.version}`,
  });
}

/** Runs a compiled UDF on `input` (plain JSON data); returns its result as JSON text. */
function runUdf(script, input) {
  const context = vm.createContext({ input, helpers }, { codeGeneration: { strings: false, wasm: false } });
  const udf = script.runInContext(context);
  const json = JSON.stringify(udf(context.input, context.helpers));
  return json === undefined ? 'null' : json;
}

module.exports = { compileUdf, runUdf };
