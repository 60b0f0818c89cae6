'use strict';

// The code under test runs in the same realm as the tests, so it could replace `expect`, a
// matcher, or an intrinsic the matchers rely on, and make failing assertions pass. That is never a
// fix: once the runner around a test has been modified, the test fails. A tripwire on the usual
// routes, not a sandbox; it is installed by jest.setup.js before a test file loads any code.

const MATCHERS = Symbol.for('$$jest-matchers-object');

const RUNNER_GLOBALS = ['expect', 'test', 'it', 'describe', 'beforeAll', 'beforeEach', 'afterAll', 'afterEach', 'jest'];

// [label, owner, key]: what jest's matchers and equality checks call while comparing values.
const INTRINSICS = [
  ['Object.is', Object, 'is'],
  ['Object.keys', Object, 'keys'],
  ['Object.entries', Object, 'entries'],
  ['Object.getPrototypeOf', Object, 'getPrototypeOf'],
  ['Object.getOwnPropertyNames', Object, 'getOwnPropertyNames'],
  ['Object.getOwnPropertySymbols', Object, 'getOwnPropertySymbols'],
  ['Object.prototype.hasOwnProperty', Object.prototype, 'hasOwnProperty'],
  ['Object.prototype.toString', Object.prototype, 'toString'],
  ['Reflect.ownKeys', Reflect, 'ownKeys'],
  ['Array.isArray', Array, 'isArray'],
  ['Array.prototype.every', Array.prototype, 'every'],
  ['Array.prototype.some', Array.prototype, 'some'],
  ['Array.prototype.includes', Array.prototype, 'includes'],
  ['Array.prototype.indexOf', Array.prototype, 'indexOf'],
  ['String.prototype.includes', String.prototype, 'includes'],
  ['RegExp.prototype.test', RegExp.prototype, 'test'],
  ['Number.isNaN', Number, 'isNaN'],
  ['JSON.stringify', JSON, 'stringify'],
  ['Function.prototype.call', Function.prototype, 'call'],
  ['Function.prototype.apply', Function.prototype, 'apply'],
  ['Promise.prototype.then', Promise.prototype, 'then'],
];

function currentState() {
  const state = new Map();
  for (const name of RUNNER_GLOBALS) state.set(`global ${name}`, globalThis[name]);
  const matchers = globalThis[MATCHERS] && globalThis[MATCHERS].matchers;
  for (const [name, fn] of Object.entries(matchers || {})) state.set(`matcher ${name}`, fn);
  for (const [label, owner, key] of INTRINSICS) state.set(label, owner[key]);
  return state;
}

/** Names of what differs from `before`; matchers added later (expect.extend in a test) are fine. */
function changedSince(before) {
  const now = currentState();
  const changed = [];
  for (const [label, value] of before) {
    if (now.get(label) !== value) changed.push(label);
  }
  return changed;
}

function installRunnerIntegrity() {
  const before = currentState();
  const check = () => {
    const changed = changedSince(before);
    if (changed.length > 0) {
      throw new Error(`the test runner was modified while this test ran (${changed.join(', ')}); assertions cannot be trusted`);
    }
  };
  afterEach(check);
  afterAll(check);
}

module.exports = { installRunnerIntegrity, changedSince, currentState };
