'use strict';

// Makes what decides a test's result read-only before the code under test loads: the built-in
// objects of a realm, and single properties the runner reads (its globals, its IPC). A property is
// made non-configurable, so it can be neither reassigned nor redefined as an accessor that lies
// only when somebody looks. The same file locks the realm tests run in (from jest.setup.js) and
// the worker's own realm (from locked-environment.js): every function takes the objects to lock.

/**
 * Left writable on purpose: libraries (source-map support, pg, jest itself) set them, and they
 * only change how a stack trace reads, never whether a test passed.
 */
const LEFT_WRITABLE = new Set(['prepareStackTrace', 'stackTraceLimit']);

/**
 * Inherited names that ordinary code assigns on its own objects (`err.name = ...`,
 * `Foo.prototype.toString = ...`). A non-writable inherited property would make such an assignment
 * throw, so these become accessors that refuse to change the built-in but let every other object
 * get its own property, as an assignment would have.
 */
const OVERRIDDEN_BY_ASSIGNMENT = new Set([
  'constructor', 'name', 'message', 'toString', 'toLocaleString', 'valueOf', 'toJSON', 'then', 'catch', 'finally', 'inspect',
]);

const LOCKED = Symbol.for('datanexus.lockdown.locked');

function overridableAccessor(owner, key, value, enumerable) {
  // receivers that hold a copy of this very accessor (a clone made by copying descriptors, as
  // graceful-fs and jest do) cannot be given their own property: their value is kept here
  const copies = new WeakMap();
  return {
    configurable: false,
    enumerable,
    get() {
      return this !== owner && copies.has(this) ? copies.get(this) : value;
    },
    set(next) {
      if (this === owner) throw new TypeError(`Cannot assign to read only property '${String(key)}' of a built-in object`);
      if (!Reflect.defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true })) copies.set(this, next);
    },
  };
}

/** Every own property of `obj` read-only and non-configurable (accessors keep their getter and setter). */
function lockOwnProperties(obj, { overridable = OVERRIDDEN_BY_ASSIGNMENT } = {}) {
  for (const key of Reflect.ownKeys(obj)) {
    if (LEFT_WRITABLE.has(key)) continue;
    const desc = Reflect.getOwnPropertyDescriptor(obj, key);
    if (!desc || !desc.configurable) {
      if (desc && desc.writable) Reflect.defineProperty(obj, key, { writable: false });
      continue;
    }
    if ('value' in desc && (overridable === 'all' || overridable.has(key))) {
      Reflect.defineProperty(obj, key, overridableAccessor(obj, key, desc.value, desc.enumerable));
    } else if ('value' in desc) {
      Reflect.defineProperty(obj, key, { value: desc.value, writable: false, enumerable: desc.enumerable, configurable: false });
    } else {
      Reflect.defineProperty(obj, key, { get: desc.get, set: desc.set, enumerable: desc.enumerable, configurable: false });
    }
  }
}

/**
 * One binding (a global, `process.send`) fixed to its current value. `overridable`: objects that
 * inherit it may still assign their own (a subclass of `Module` sets its own `_cache`).
 */
function lockBinding(owner, key, { overridable = false } = {}) {
  const desc = Reflect.getOwnPropertyDescriptor(owner, key);
  if (!desc) return false;
  if (!desc.configurable) return desc.writable !== true || Reflect.defineProperty(owner, key, { writable: false });
  if ('value' in desc && overridable) return Reflect.defineProperty(owner, key, overridableAccessor(owner, key, desc.value, desc.enumerable));
  const fixed = 'value' in desc
    ? { value: desc.value, writable: false, enumerable: desc.enumerable, configurable: false }
    : { get: desc.get, set: desc.set, enumerable: desc.enumerable, configurable: false };
  return Reflect.defineProperty(owner, key, fixed);
}

/** A function or object and everything reachable through its own properties, frozen (cycles allowed). */
function freezeDeep(value, seen = new Set()) {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    const desc = Reflect.getOwnPropertyDescriptor(value, key);
    if (desc && 'value' in desc && key !== 'prototype') freezeDeep(desc.value, seen);
  }
  Object.freeze(value);
}

const CONSTRUCTORS = [
  'Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt', 'Date', 'RegExp', 'Promise',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];
const NAMESPACES = ['JSON', 'Math', 'Reflect', 'Atomics'];

// Built-ins no global names, reached from inside the realm so they are that realm's own.
const UNNAMED_INTRINSICS = `
  const p = Object.getPrototypeOf;
  const gen = function* () {}, asyncFn = async function () {}, asyncGen = async function* () {};
  const typedArray = p(Int8Array);
  return [typedArray, typedArray.prototype, p(p([][Symbol.iterator]())), p([][Symbol.iterator]()),
    p(new Map()[Symbol.iterator]()), p(new Set()[Symbol.iterator]()), p(''[Symbol.iterator]()),
    p(/x/[Symbol.matchAll]('')), p(gen), p(gen).prototype, p(p(gen).prototype), p(asyncFn), p(asyncGen),
    p(asyncGen).prototype, p(p(asyncGen).prototype), p(p(p(asyncGen).prototype))];`;

/** The built-ins of the realm whose global object is `global`. */
function intrinsicsOf(global) {
  const found = [];
  for (const name of CONSTRUCTORS) {
    const C = global[name];
    if (typeof C !== 'function') continue;
    found.push(C);
    if (C.prototype) found.push(C.prototype);
  }
  for (const name of NAMESPACES) if (global[name]) found.push(global[name]);
  found.push(...global.Function(UNNAMED_INTRINSICS)());
  return [...new Set(found.filter(Boolean))];
}

/**
 * Locks every built-in of the realm whose global object is `global`: each own property fixed and
 * no property added (so no pollution of `Object.prototype`, no new species or `then`). The global
 * bindings themselves stay writable: fake timers replace `Date`, and a test may shadow a global.
 * Once per realm.
 */
function lockRealm(global) {
  if (Object.prototype.hasOwnProperty.call(global.Object, LOCKED)) return false;
  const intrinsics = intrinsicsOf(global);
  for (const obj of intrinsics) {
    lockOwnProperties(obj, obj === global.Object.prototype || obj === global.Function.prototype ? { overridable: 'all' } : undefined);
  }
  Reflect.defineProperty(global.Object, LOCKED, { value: true });
  // an own (still writable) slot, or a library could not set it once Error takes no new property
  if (!Object.prototype.hasOwnProperty.call(global.Error, 'prepareStackTrace')) {
    Reflect.defineProperty(global.Error, 'prepareStackTrace', { value: undefined, writable: true, configurable: true });
  }
  for (const obj of intrinsics) Object.preventExtensions(obj);
  return true;
}

module.exports = { lockRealm, lockOwnProperties, lockBinding, freezeDeep, intrinsicsOf, LEFT_WRITABLE, OVERRIDDEN_BY_ASSIGNMENT };
