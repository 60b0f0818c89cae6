'use strict';

const Module = require('node:module');
const v8 = require('node:v8');
const { TestEnvironment } = require('jest-environment-node');
const { lockBinding, lockOwnProperties, lockRealm } = require('./lockdown');

// jest's node environment, plus a lock on the realm the worker itself runs in. Code under test
// can reach that realm (any core module's constructor leads to its Function), and from there the
// real `process`, the worker's IPC that carries the results, and the modules of jest that build
// them. This constructor runs in the worker before the test file, so before any code under test:
// what it locks stays as jest set it for the life of the worker.

// jest's own modules: their exports are what the worker calls to run a file and report it.
const RUNNER_MODULE = /[\\/]node_modules[\\/](jest-[^\\/]+|@jest[\\/][^\\/]+|expect|expect-utils|pretty-format)[\\/]/;

/** The worker's results channel: `process.send` down to the pipe and the serializer it writes with. */
function lockIpc() {
  // overridable: jest copies process (descriptors included) into every test context, then sets its own send
  lockBinding(process, 'send', { overridable: true });
  lockBinding(process, '_send', { overridable: true });
  for (const proto of [...protoChain(pipePrototype()), v8.Serializer.prototype, v8.DefaultSerializer.prototype]) lockMethods(proto);
  refuseBindings();
  for (const key of ['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'byteLength', 'concat', 'from', 'isBuffer']) lockBinding(Buffer, key);
  lockOwnProperties(Buffer.prototype);
}

/**
 * Node's native bindings, behind every core module: patched, `process.binding('fs').open` hands
 * jest another file for the next test file it reads. Nothing in the worker needs them after
 * this point (the pipe's prototype above is taken first).
 */
function refuseBindings() {
  const refuse = () => {
    throw new Error('native bindings are not available while tests run');
  };
  for (const key of ['binding', '_linkedBinding']) {
    Reflect.defineProperty(process, key, { value: refuse, writable: false, enumerable: false, configurable: false });
  }
}

// Methods the IPC write path calls on the pipe and the serializer. Named, not enumerated: a native
// prototype also has accessors that look like data (`onread`), and redefining one aborts the process.
const NATIVE_WRITE_PATH = [
  'writev', 'writeBuffer', 'writeAsciiString', 'writeUtf8String', 'writeUcs2String', 'writeLatin1String', 'shutdown', 'close',
  'writeHeader', 'writeValue', 'releaseBuffer', 'transferArrayBuffer', 'writeUint32', 'writeUint64', 'writeDouble', 'writeRawBytes',
  '_writeHostObject', '_getDataCloneError', '_setTreatArrayBufferViewsAsHostObjects',
];

function lockMethods(proto) {
  for (const key of NATIVE_WRITE_PATH) if (Object.prototype.hasOwnProperty.call(proto, key)) lockBinding(proto, key);
}

function pipePrototype() {
  try {
    // the native pipe the IPC channel writes to: no public module exports it
    return process.binding('pipe_wrap').Pipe.prototype;
  } catch {
    return null;
  }
}

function protoChain(obj) {
  const chain = [];
  for (let p = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) chain.push(p);
  return chain;
}

/** Loading and the module cache: no hook on require, and jest's loaded modules keep their exports. */
function lockModules() {
  // Module._extensions stays: jest swaps its '.js' loader in and out around every module it requires
  // overridable: jest's runtime subclasses Module and assigns its own statics
  for (const key of ['_load', '_resolveFilename', 'wrap', '_cache']) lockBinding(Module, key, { overridable: true });
  for (const key of ['require', '_compile', 'load']) lockBinding(Module.prototype, key, { overridable: true });
  for (const [file, mod] of Object.entries(Module._cache)) {
    if (!RUNNER_MODULE.test(file)) continue;
    lockBinding(Module._cache, file);
    lockBinding(mod, 'exports');
    // one level: deeper objects are shared with libraries that define their members lazily (chalk)
    if (mod.exports && (typeof mod.exports === 'object' || typeof mod.exports === 'function')) lockOwnProperties(mod.exports, { overridable: 'all' });
  }
}

// Core modules are shared by every realm: code under test gets the very objects jest's worker
// uses (it compiles each test file with vm.compileFunction, found on the module at call time).
// Their data exports are locked; `process` is not (its IPC is, above), nor classes' prototypes but
// vm's, nor `crypto` (a security test spies on crypto.timingSafeEqual, and no result goes through
// it). Accessors stay as they are: Node defines some exports lazily (buffer.Blob) and redefines
// them on first use. fs's stream classes stay too: graceful-fs (loaded by jest in the test realm)
// clones fs by its descriptors and redefines them on its clone.
const CORE_MODULES = [
  'assert', 'async_hooks', 'buffer', 'child_process', 'events', 'fs', 'module', 'net', 'os', 'path',
  'perf_hooks', 'stream', 'string_decoder', 'timers', 'tty', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];
const LEFT_REDEFINABLE = new Set(['ReadStream', 'WriteStream', 'FileReadStream', 'FileWriteStream']);

function lockCoreModules() {
  for (const name of CORE_MODULES) {
    const exports = require(`node:${name}`);
    for (const key of Reflect.ownKeys(exports)) {
      if (LEFT_REDEFINABLE.has(key)) continue;
      if ('value' in Reflect.getOwnPropertyDescriptor(exports, key)) lockBinding(exports, key, { overridable: true });
    }
  }
  const vm = require('node:vm');
  for (const C of [vm.Script, vm.Module, vm.SourceTextModule, vm.SyntheticModule]) {
    if (typeof C !== 'function') continue;
    for (const key of Reflect.ownKeys(C.prototype)) {
      if (typeof Reflect.getOwnPropertyDescriptor(C.prototype, key).value === 'function') lockBinding(C.prototype, key, { overridable: true });
    }
  }
}

let workerLocked = false;

function lockWorker() {
  if (workerLocked) return;
  workerLocked = true;
  lockRealm(globalThis);
  lockIpc();
  lockModules();
  lockCoreModules();
}

class LockedEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    lockWorker();
  }
}

module.exports = LockedEnvironment;
module.exports.TestEnvironment = LockedEnvironment;
module.exports.lockWorker = lockWorker;
