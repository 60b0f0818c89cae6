'use strict';

// Preloaded (`--require`) into jest's workers when the grader records the suite's dependency map
// (DN_RECORD_DEPS; see jest-parent.cjs). It changes nothing a test does: it only watches.
//
// For the test file a worker is running, it records every path inside the tree (node_modules left
// out) that the worker touched:
// - `read`: files read, stat'ed, opened or probed through `fs` (jest's module registry reads every
//   module it loads through fs too, so modules appear here), and files node's own loader loaded;
// - `listed`: directories read with readdir / opendir;
// - `everything`: a reason, when the file did something whose inputs cannot be known (a shell, a
//   program other than node, a child or thread that could not be followed: dep-follow.cjs).
// Node children and worker threads are followed (dep-follow.cjs): the recorder is preloaded in them
// too, reports to a sink of the test file that started them (dep-sink.cjs), and what they read is
// the file's.
// Attribution: a jest worker runs one test file at a time, inside jest-runner's `worker()` call,
// which this module wraps; the record travels back to the jest parent on the test file's result
// (`dnDeps`), so no file or channel is needed in the sandbox.
//
// Soundness argument: a test file's outcome is a function of what it read. If nothing it read or
// listed changed, and no entry was added to or removed from a directory it listed or resolved a
// module through, it behaves the same (the suite is deterministic by rule).

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
// first, while fs is not wrapped yet (the sink's own traffic is not a dependency)
const sink = require('./dep-sink.cjs');
const follow = require('./dep-follow.cjs');

// In a followed child or thread, everything goes to its sink; in a jest worker, to the test file.
const child = sink.childScope();
const root = process.cwd();
const rootPrefix = root.endsWith(path.sep) ? root : root + path.sep;
let current = null;

function toRel(p) {
  let s;
  if (typeof p === 'string') s = p;
  else if (Buffer.isBuffer(p)) s = p.toString('utf8');
  else if (p instanceof URL) s = p.protocol === 'file:' ? decodeURIComponent(p.pathname) : undefined;
  if (s === undefined) return undefined;
  const abs = path.resolve(root, s);
  if (abs !== root && !abs.startsWith(rootPrefix)) return undefined;
  const rel = abs === root ? '.' : abs.slice(rootPrefix.length).split(path.sep).join('/');
  if (rel === 'node_modules' || rel.startsWith('node_modules/') || rel.includes('/node_modules/')) return undefined;
  return rel;
}

function note(kind, p) {
  if (child) return child.note(kind, p);
  if (!current) return;
  const rel = toRel(p);
  if (rel !== undefined) current[kind].add(rel);
}

function wrapAll(obj, names, kind) {
  for (const name of names) {
    const orig = obj[name];
    if (typeof orig !== 'function' || orig.__dnWrapped) continue;
    const wrapped = function (p, ...rest) {
      note(kind, p);
      return orig.call(this, p, ...rest);
    };
    Object.defineProperty(wrapped, 'name', { value: orig.name });
    wrapped.__dnWrapped = true;
    if (orig.native) wrapped.native = orig.native;
    obj[name] = wrapped;
  }
}

const READS = ['readFile', 'readFileSync', 'stat', 'statSync', 'lstat', 'lstatSync', 'access', 'accessSync', 'exists', 'existsSync',
  'realpath', 'realpathSync', 'open', 'openSync', 'readlink', 'readlinkSync', 'createReadStream', 'copyFile', 'copyFileSync',
  'cp', 'cpSync', 'watch', 'watchFile', 'statfs', 'statfsSync'];
const LISTS = ['readdir', 'readdirSync', 'opendir', 'opendirSync'];
wrapAll(fs, READS, 'read');
wrapAll(fs, LISTS, 'listed');
if (fs.realpathSync.native) wrapAll(fs.realpathSync, ['native'], 'read');
if (fs.realpath.native) wrapAll(fs.realpath, ['native'], 'read');
wrapAll(fs.promises, ['readFile', 'stat', 'lstat', 'access', 'realpath', 'open', 'readlink', 'copyFile', 'cp', 'statfs'], 'read');
wrapAll(fs.promises, ['readdir', 'opendir'], 'listed');

function markEverything(reason) {
  if (child) child.everything(reason);
  else if (current && !current.everything) current.everything = reason;
}

follow.install({
  // a jest worker's test file gets its sink when it first starts a child or thread
  scope: () => child || (current && (current.scope ??= sink.testFileScope())),
  everything: markEverything,
});

function snapshot(rec) {
  return {
    read: [...rec.read].sort(),
    listed: [...rec.listed].sort(),
    ...(rec.everything ? { everything: rec.everything } : {}),
  };
}

function wrapWorker(exportsObj) {
  const orig = exportsObj.worker;
  if (typeof orig !== 'function' || orig.__dnWrapped) return;
  const wrapped = async function (data, ...rest) {
    const rec = { testPath: data && data.path, read: new Set(), listed: new Set(), everything: undefined };
    if (rec.testPath) rec.read.add(toRel(rec.testPath) || rec.testPath);
    current = rec;
    try {
      const result = await orig.call(this, data, ...rest);
      if (rec.scope) await sink.drain(rec.scope, (kind, abs) => { const rel = toRel(abs); if (rel !== undefined) rec[kind].add(rel); }, markEverything);
      if (result && typeof result === 'object') result.dnDeps = snapshot(rec);
      return result;
    } finally {
      if (current === rec) current = null;
    }
  };
  wrapped.__dnWrapped = true;
  exportsObj.worker = wrapped;
}

// Module._load sees both jest-runner's testWorker (to wrap it) and anything node's own loader loads
// for a test (`module.createRequire`) or in a child (its main module too), which does not go
// through the public fs functions.
const origLoad = Module._load;
Module._load = function (request, parent, isMain) {
  const exp = origLoad.call(this, request, parent, isMain);
  if (!child && typeof request === 'string' && /[\\/]jest-runner[\\/]build[\\/]testWorker\.js$/.test(request)) wrapWorker(exp);
  else if ((child || (current && parent)) && typeof request === 'string' && !Module.isBuiltin(request)) {
    try {
      note('read', Module._resolveFilename(request, parent, isMain));
    } catch {
      // resolved above already; nothing to add
    }
  }
  return exp;
};
