'use strict';

// Which file called a function, from V8's structured stack trace. Error.prepareStackTrace becomes
// an accessor this module owns: code may still set and read its own formatter (source maps,
// libraries), but cannot answer for the runner when the runner asks who called.

/**
 * A check `(fn) => boolean`: whether the caller of `fn` is a file matching `allowed`. Fails closed:
 * no frame (a stack trace limit of 0, say) is "not allowed".
 */
function callerCheck(global, allowed) {
  const E = global.Error;
  let formatter = E.prepareStackTrace;
  let collecting = false;
  const frames = (_error, callSites) => callSites;
  Object.defineProperty(E, 'prepareStackTrace', {
    configurable: false,
    enumerable: false,
    get: () => (collecting ? frames : formatter),
    set: (value) => {
      formatter = value;
    },
  });
  return function calledFrom(fn) {
    const limit = E.stackTraceLimit;
    collecting = true;
    try {
      E.stackTraceLimit = 1;
      const holder = {};
      E.captureStackTrace(holder, fn);
      const sites = holder.stack;
      return Array.isArray(sites) && sites.length > 0 && allowed.test(String(sites[0].getFileName()));
    } finally {
      collecting = false;
      E.stackTraceLimit = limit;
    }
  };
}

module.exports = { callerCheck };
