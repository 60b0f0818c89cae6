'use strict';

// The sink protocol of the dependency recorder's child and thread following (dep-follow.cjs).
//
// A followed child or thread appends to its test file's sink (a file in the jest worker's private
// temp directory) every absolute path it reads, one per line (`listed <path>` for directories), and
// marker lines: `open <token> process|thread` (its starter, before starting it), `hello <token>`
// (its recorder, first thing), `close <token>` (itself at exit, or its starter when it sees it
// exit: every write is synchronous, so a child seen dead has written all it read), `everything
// <reason>`. Tokens nest (`3.1` was started by `3`), so a child's children report to the same
// sink. At the end of the test file the jest worker drains the sink, waiting up to 2 s for every
// token to close.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');
const wt = require('node:worker_threads');

// Taken before dep-recorder.cjs wraps fs: the sink's own traffic is not a dependency.
const { openSync, writeSync, readFileSync, mkdtempSync, rmSync } = fs;

const SINK_ENV = 'DN_DEP_SINK';
const TOKEN_ENV = 'DN_DEP_TOKEN';
const FD_ENV = 'DN_DEP_FD';
const DRAIN_MS = 2000;
const LOADERS = /(^|\s)--(experimental-)?loader\b/;
// No module was preloaded before the recorder (whose files are all here) in this thread, nor is one
// in a thread started from it.
const FIRST = Object.keys(require.cache).every((f) => path.dirname(f) === __dirname);

/** A path argument of fs as an absolute path (relative ones against today's cwd, as fs does), or undefined. */
function absPath(p) {
  if (typeof p === 'string') return path.resolve(p);
  if (Buffer.isBuffer(p)) return path.resolve(p.toString('utf8'));
  if (p instanceof URL && p.protocol === 'file:') return path.resolve(decodeURIComponent(p.pathname));
  return undefined;
}

// A sink's fd is never closed before its process exits: a thread writes to its process's fd (one
// fd per thread would leak, terminated threads close nothing), and a thread that outlives its test
// file must never write to a number that has been reused.
class Scope {
  constructor(file, fd, prefix) {
    Object.assign(this, { file, fd, prefix, n: 0, failed: false, seen: new Set() });
  }

  line(text) {
    try {
      writeSync(this.fd, `${text}\n`);
    } catch {
      // never into the code under test; a jest worker's drain sees `failed`, a child tries once more by path
      if (this.failed) return;
      this.failed = true;
      try {
        this.fd = openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_APPEND);
        writeSync(this.fd, 'everything its dependency sink could not be written\n');
      } catch {
        // nothing left to tell it with
      }
    }
  }

  open(kind) {
    const token = `${this.prefix}${++this.n}`;
    this.line(`open ${token} ${kind}`);
    return token;
  }

  note(kind, p) {
    const abs = absPath(p);
    if (abs === undefined || /[\\/]node_modules([\\/]|$)/.test(abs) || this.seen.has(kind + abs)) return;
    this.seen.add(kind + abs);
    if (abs.includes('\n')) this.everything('read a path with a line break');
    else this.line(kind === 'read' ? abs : `listed ${abs}`);
  }

  everything(reason) {
    this.line(`everything ${reason}`);
  }

  /** Opens a token; the env of the child or thread it is for: `base` with this sink. */
  start(kind, base) {
    const token = this.open(kind);
    const env = { ...base, [SINK_ENV]: this.file, [TOKEN_ENV]: token };
    // a thread writes to its process's fd (see above)
    if (kind !== 'process') env[FD_ENV] = String(this.fd);
    return { token, env };
  }
}

/** In a followed child or thread: its sink (the variables are removed, so the code under test never sees them). */
function childScope() {
  const [file, token, fdText] = [process.env[SINK_ENV], process.env[TOKEN_ENV], process.env[FD_ENV]];
  delete process.env[SINK_ENV];
  delete process.env[TOKEN_ENV];
  delete process.env[FD_ENV];
  if (!file || !token) return undefined;
  let fd = wt.isMainThread ? undefined : Number(fdText);
  if (fd === undefined) {
    try {
      fd = openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND);
    } catch {
      return undefined; // no hello: the test file depends on everything
    }
  }
  const scope = new Scope(file, fd, `${token}.`);
  scope.line(`hello ${token}`);
  // a preload before this one (NODE_OPTIONS --require) ran unrecorded; loader hooks load modules elsewhere
  if (!FIRST) scope.everything('a module preloaded before the recorder');
  if (LOADERS.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS || ''}`)) scope.everything('ESM loader hooks');
  const { register } = Module;
  if (typeof register === 'function') {
    Module.register = function (...args) {
      scope.everything('ESM loader hooks (module.register)');
      return register.apply(this, args);
    };
  }
  // after every 'exit' listener, which may still read
  const emit = process.emit;
  process.emit = function (event, ...args) {
    const r = emit.call(this, event, ...args);
    if (event === 'exit') scope.line(`close ${token}`);
    return r;
  };
  return scope;
}

let privateDir;
let sinks = 0;

/** In a jest worker: a new sink for one test file. */
function testFileScope() {
  if (!privateDir) {
    privateDir = mkdtempSync(path.join(os.tmpdir(), 'dn-deps-'));
    process.once('exit', () => rmSync(privateDir, { recursive: true, force: true }));
  }
  const file = path.join(privateDir, `${++sinks}.sink`);
  return new Scope(file, openSync(file, 'a', 0o600), '');
}

function parseSink(text) {
  const st = { read: [], listed: [], everything: undefined, pending: [], silent: [] };
  const opened = new Map();
  const hello = new Set();
  const closed = new Set();
  const lines = text.split('\n');
  if (lines.pop() !== '') st.pending.push('(a line being written)');
  for (const l of lines) {
    if (l.startsWith('/')) { st.read.push(l); continue; }
    const sp = l.indexOf(' ');
    const tag = sp < 0 ? l : l.slice(0, sp);
    const rest = l.slice(sp + 1);
    if (tag === 'listed' && rest.startsWith('/')) st.listed.push(rest);
    else if (tag === 'open') opened.set(...rest.split(' '));
    else if (tag === 'hello') hello.add(rest);
    else if (tag === 'close') closed.add(rest);
    else if (tag === 'everything') st.everything ??= `${rest} (in a node child or worker thread it started)`;
    else st.everything ??= 'an unreadable line in its dependency sink';
  }
  // a thread dies with the process it runs in
  const thread = (t) => /^thread/.test(opened.get(t));
  const finished = (t) => closed.has(t) || (thread(t) && t.includes('.') && finished(t.slice(0, t.lastIndexOf('.'))));
  for (const t of new Set([...opened.keys(), ...hello])) {
    if (!finished(t)) st.pending.push(t);
    // a thread whose first code is the recorder (FIRST) and that stopped before its hello ran nothing
    else if (!hello.has(t) && opened.get(t) !== 'thread') st.silent.push(t);
  }
  return st;
}

/** At the end of a test file: what its children read, once every one has finished (or 2 s have passed). */
async function drain(scope, add, everything) {
  const deadline = Date.now() + DRAIN_MS;
  let st;
  try {
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      st = parseSink(readFileSync(scope.file, 'utf8'));
      // a child's exit reaches its starter as an event: waiting lets this process see its own
      if (st.pending.length === 0 || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  } catch (err) {
    everything(`its dependency sink could not be read: ${err.message}`);
    return;
  } finally {
    rmSync(scope.file, { force: true });
  }
  if (scope.failed) everything('its dependency sink could not be written');
  for (const p of st.read) add('read', p);
  for (const p of st.listed) add('listed', p);
  if (st.everything) everything(st.everything);
  else if (st.pending.length > 0) everything(`a node child or worker thread it started had not finished ${DRAIN_MS / 1000} s after it ended`);
  else if (st.silent.length > 0) everything('a node child or worker thread it started ran without the recorder');
}

module.exports = { FIRST, absPath, childScope, testFileScope, drain };
