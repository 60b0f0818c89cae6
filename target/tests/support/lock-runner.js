'use strict';

const { freezeDeep, lockBinding, lockOwnProperties, lockRealm } = require('./lockdown');
const { callerCheck } = require('./caller-check');

// Locks, in the realm the tests run in, everything jest reads to decide a result. Called from
// jest.setup.js, after jest-circus and expect have set up their globals and event handlers and
// before the first test file is loaded.

const MATCHERS = Symbol.for('$$jest-matchers-object');
const EVENT_HANDLERS = Symbol.for('EVENT_HANDLERS');
const RUNNER_GLOBALS = [
  'expect', 'test', 'it', 'describe', 'xit', 'xtest', 'fit', 'xdescribe', 'fdescribe',
  'beforeAll', 'beforeEach', 'afterAll', 'afterEach',
];
// What jest-circus and expect read on the global object: native copies jest keeps for itself
// (taken before a test could replace Promise or Date), retry settings, the matchers registry.
const RUNNER_SYMBOLS = [
  'jest-native-promise', 'jest-native-now', 'jest-native-read-file', 'jest-native-exists-file', 'jest-native-require-actual',
  'EVENT_HANDLERS', 'TEST_TIMEOUT_SYMBOL', '$$jest-matchers-object',
].map((name) => Symbol.for(name));

// Retries are not part of this suite: a test retried until the code under test answers right
// would pass without the code being right. jest.retryTimes writes these; they stay unset.
const RETRY_SYMBOLS = ['RETRY_TIMES', 'WAIT_BEFORE_RETRY', 'RETRY_IMMEDIATELY', 'LOG_ERRORS_BEFORE_RETRY'].map((name) => Symbol.for(name));

function refuseRetries(global) {
  for (const sym of RETRY_SYMBOLS) {
    if (!Object.prototype.hasOwnProperty.call(global, sym)) Object.defineProperty(global, sym, { value: undefined, writable: false, enumerable: false, configurable: false });
  }
  Object.defineProperty(global, Symbol.for('RETRY_TIMES_SETTER'), {
    value: () => {
      throw new TypeError('retries are not allowed in this suite');
    },
    writable: false,
    enumerable: false,
    configurable: false,
  });
}

/** jest-circus keeps its state (every test, its body and its errors) under a private symbol on the global. */
function circusStateSymbol(global) {
  return Object.getOwnPropertySymbols(global).find((s) => s.description === 'JEST_STATE_SYMBOL');
}

const CIRCUS_FILE = /[\\/]node_modules[\\/]jest-circus[\\/]build[\\/][^\\/]+\.js$/;

/**
 * The state stays live (circus mutates it for every test), so it cannot be frozen: it is handed
 * only to code of jest-circus itself. Anybody else reading it (a test body swapped, errors
 * cleared) gets a TypeError.
 */
function gateCircusState(global, stateSymbol) {
  const state = global[stateSymbol];
  const calledFromCircus = callerCheck(global, CIRCUS_FILE);
  Object.defineProperty(global, stateSymbol, {
    configurable: false,
    enumerable: false,
    get: function circusState() {
      if (calledFromCircus(circusState)) return state;
      throw new TypeError("jest-circus's state is private to the test runner");
    },
    // no setter (so no replacing it): jest's global proxy would wrap one, breaking the definition
  });
}

/** expect's own members fixed, though not frozen: expect.extend adds asymmetric matchers to it. */
function lockExpect(expect) {
  lockOwnProperties(expect, { overridable: new Set() });
  for (const key of Reflect.ownKeys(expect)) {
    const member = expect[key];
    if (member && typeof member === 'object') lockOwnProperties(member, { overridable: new Set() });
  }
}

function lockRunner(global = globalThis) {
  lockRealm(global);
  for (const name of RUNNER_GLOBALS) {
    if (!(name in global)) continue;
    if (name === 'expect') lockExpect(global.expect);
    else freezeDeep(global[name]);
    lockBinding(global, name);
  }
  for (const sym of RUNNER_SYMBOLS) lockBinding(global, sym);
  refuseRetries(global);
  const stateSymbol = circusStateSymbol(global);
  if (stateSymbol) gateCircusState(global, stateSymbol);
  lockBinding(global, 'jest-symbol-do-not-touch');

  // every handler is registered by now: none may be added, removed or replaced
  const handlers = global[EVENT_HANDLERS];
  if (Array.isArray(handlers)) Object.freeze(handlers);

  // existing matchers are fixed; expect.extend can still add new ones
  const registry = global[MATCHERS];
  if (registry) {
    lockOwnProperties(registry, { overridable: new Set() });
    lockOwnProperties(registry.matchers, { overridable: new Set() });
    Object.freeze(registry.customEqualityTesters);
  }
}

module.exports = { lockRunner, RUNNER_GLOBALS };
