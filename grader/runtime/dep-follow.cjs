'use strict';

// Following a test file's node children and worker threads (required by dep-recorder.cjs, before
// it wraps fs). Without this, a file that starts a child or a thread depends on everything: the
// recorder in its jest worker cannot see what the child reads. A node child gets the recorder
// preloaded (`--require`), a worker thread inherits it (execArgv); both get the test file's sink
// through their env and report to it what they read (dep-sink.cjs).
//
// What cannot be followed keeps the old answer, "everything": a shell, a program other than this
// node, a thread given its own execArgv or env, a call shape not known here, a child that never
// said hello (no recorder) or is still running 2 s after the test file ended. Selecting more is
// always safe; selecting less never is.

const path = require('node:path');
const cp = require('node:child_process');
const wt = require('node:worker_threads');
const { FIRST } = require('./dep-sink.cjs');

const RECORDER = path.join(__dirname, 'dep-recorder.cjs');

const isNode = (file) => typeof file === 'string' && path.resolve(file) === process.execPath;
const isRecorderArg = (a, i, argv) => a === `--require=${RECORDER}` || (a === RECORDER && (argv[i - 1] === '--require' || argv[i - 1] === '-r'))
  || ((a === '--require' || a === '-r') && argv[i + 1] === RECORDER);

/** A token for a child or thread that gets `build(env)`: the caller's env (or this process's) with the sink. */
function withToken(scope, kind, givenEnv, build) {
  const base = givenEnv == null ? process.env : givenEnv;
  if (typeof base !== 'object') return 'an env it does not know';
  const { token, env } = scope.start(kind, base);
  return { scope, token, args: build(env) };
}

/** spawn / spawnSync / execFile / execFileSync: (file, args?, options?, callback?) as node reads them. */
function planNode(name, scope, [file, a1, a2, ...more]) {
  let args = [];
  let options;
  let tail = more;
  if (Array.isArray(a1)) [args, options] = [a1, a2];
  else if (a1 == null) options = a2;
  else if (typeof a1 === 'object') [options, tail] = [a1, [a2, ...more]];
  else if (typeof a1 === 'function' && name === 'execFile') tail = [a1, a2, ...more];
  else return 'an argument shape it does not know';
  if (typeof options === 'function' && name === 'execFile') [options, tail] = [undefined, [options, ...tail]];
  if (options != null && typeof options !== 'object') return 'an argument shape it does not know';
  if (options && options.shell) return 'a shell';
  if (!isNode(file)) return 'a program other than node';
  return withToken(scope, 'process', options && options.env, (env) => [file, ['--require', RECORDER, ...args], { ...options, env }, ...tail]);
}

/** fork(modulePath, args?, options?): node's execArgv, with the recorder first. */
function planFork(scope, [modulePath, a1, a2, ...more]) {
  let args = [];
  let options = a2;
  if (Array.isArray(a1)) args = a1;
  else if (a1 != null && typeof a1 === 'object') options = a1;
  else if (a1 != null) return 'an argument shape it does not know';
  if (options != null && typeof options !== 'object') return 'an argument shape it does not know';
  const o = options || {};
  if (o.execPath && !isNode(o.execPath)) return 'a program other than node';
  let execArgv = o.execArgv || process.execArgv;
  if (!Array.isArray(execArgv)) return 'an argument shape it does not know';
  if (execArgv === process.execArgv && process._eval != null) {
    // node leaves out the parent's own `-e <code>` when it gives the child process.execArgv
    const i = execArgv.lastIndexOf(process._eval);
    if (i > 0) execArgv = [...execArgv.slice(0, i - 1), ...execArgv.slice(i + 1)];
  }
  execArgv = ['--require', RECORDER, ...execArgv.filter((a, i, argv) => !isRecorderArg(a, i, argv))];
  return withToken(scope, 'process', o.env, (env) => [modulePath, args, { ...o, execArgv, env }, ...more]);
}

/** new Worker(filename, options?): followed when the thread keeps the inherited execArgv and a copy of the env. */
function planWorker(scope, options) {
  if (options != null && typeof options !== 'object') return 'an argument shape it does not know';
  if (options && options.execArgv !== undefined) return 'its own execArgv';
  // SHARE_ENV: one env for both threads, so a token of its own cannot be given
  if (options && options.env != null) return options.env === wt.SHARE_ENV ? 'env SHARE_ENV' : 'its own env';
  return withToken(scope, FIRST ? 'thread' : 'thread-after-preloads', undefined, (env) => ({ ...options, env }));
}

/**
 * Calls `fn` when `emitter` emits 'exit' (a ChildProcess once reaped, a Worker once its thread has
 * stopped). Not a listener: code under test removes those (`removeAllListeners()` before terminate).
 */
function whenExited(emitter, fn) {
  const emit = emitter.emit;
  emitter.emit = function (event, ...args) {
    if (event === 'exit') fn();
    return emit.call(this, event, ...args);
  };
}

/**
 * Wraps child_process and worker_threads. `scope()`: the sink of what is being recorded now (null:
 * nothing is, leave the call alone); `everything(reason)`: give up on it.
 */
function install({ scope, everything }) {
  let ours = 0; // inside one of the calls below, whose spawns are already accounted for
  const run = (orig, self, args) => {
    ours += 1;
    try {
      return orig.apply(self, args);
    } finally {
      ours -= 1;
    }
  };
  const plans = {
    spawn: planNode, spawnSync: planNode, execFile: planNode, execFileSync: planNode,
    fork: (_name, sc, args) => planFork(sc, args),
    exec: () => 'a shell', execSync: () => 'a shell',
  };
  for (const [name, plan] of Object.entries(plans)) {
    const orig = cp[name];
    if (typeof orig !== 'function') continue;
    const wrapped = function (...args) {
      let sc;
      let p;
      try {
        sc = scope();
        p = sc && plan(name, sc, args);
      } catch (err) {
        p = `it could not follow: ${err.message}`;
      }
      if (!sc || typeof p === 'string') {
        if (p) everything(`child_process.${name} (${p})`);
        return run(orig, this, args);
      }
      let child;
      try {
        child = run(orig, this, p.args);
      } catch (err) {
        sc.line(`close ${p.token}`); // nothing started (or it has ended, for the sync calls)
        throw err;
      }
      // a sync call returns once the child has exited
      if (name.endsWith('Sync')) sc.line(`close ${p.token}`);
      else whenExited(child, () => sc.line(`close ${p.token}`));
      return child;
    };
    Object.defineProperty(wrapped, 'name', { value: orig.name });
    cp[name] = wrapped;
  }
  // anything else that starts a process (cluster, a ChildProcess built by hand)
  const proto = cp.ChildProcess.prototype;
  const origSpawn = proto.spawn;
  proto.spawn = function (...args) {
    if (ours === 0) everything('child_process.ChildProcess.spawn');
    return origSpawn.apply(this, args);
  };

  const Orig = wt.Worker;
  wt.Worker = class Worker extends Orig {
    constructor(filename, options, ...rest) {
      let plan;
      try {
        const sc = scope();
        plan = sc ? planWorker(sc, options) : undefined;
      } catch (err) {
        plan = `it could not follow: ${err.message}`;
      }
      if (typeof plan === 'string') everything(`worker_threads.Worker (${plan})`);
      const f = plan && typeof plan === 'object' ? plan : undefined;
      try {
        super(filename, f ? f.args : options, ...rest);
      } catch (err) {
        if (f) f.scope.line(`close ${f.token}`);
        throw err;
      }
      if (f) whenExited(this, () => f.scope.line(`close ${f.token}`));
    }
  };
}

module.exports = { install };
