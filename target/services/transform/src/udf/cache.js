'use strict';

// The compiled UDF scripts of one worker, least recently used dropped first. Compiling is the
// costly part of a call; a script compiled once serves every later call of the same UDF.

function keyOf(udf) {
  return `${udf.tenantId}/${udf.name}`;
}

function createCompiledCache({ max = 256 } = {}) {
  const scripts = new Map();
  return {
    get(udf) {
      const key = keyOf(udf);
      const script = scripts.get(key);
      if (script !== undefined) {
        scripts.delete(key);
        scripts.set(key, script);
      }
      return script;
    },
    set(udf, script) {
      scripts.set(keyOf(udf), script);
      if (scripts.size > max) scripts.delete(scripts.keys().next().value);
    },
    get size() {
      return scripts.size;
    },
  };
}

module.exports = { createCompiledCache };
