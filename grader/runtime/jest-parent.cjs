'use strict';

// The jest parent of every suite run the grader starts. It is loaded from the grader package,
// read-only (never from the tree under test), and sends the aggregated results to the grader over
// a channel the code under test cannot reach:
//
// - the grader hands it the write end of a pipe as fd DN_RESULTS_FD (default 3);
// - before anything else runs, that fd is re-opened through /proc/self/fd (node opens every file
//   close-on-exec) and the inherited descriptor is closed, so jest's workers, and whatever the
//   tests spawn, never hold the channel;
// - in a sandbox this process runs from an execute-only node binary, which makes the kernel mark
//   it non-dumpable: processes of the same uid can neither ptrace it nor open its /proc/<pid>/fd
//   or mem;
// - tests always run in workers (workerIdleMemoryLimit keeps jest from running them in band, in
//   this process).
//
// Protocol: newline-delimited JSON. `{"started":true}` as soon as the channel is ours (a run that
// never says it is an infrastructure failure), then `{"results":…}` (jest's --json document), or
// `{"runError":"…"}` when jest itself threw.

const fs = require('node:fs');
const path = require('node:path');

const inherited = Number(process.env.DN_RESULTS_FD || 3);
delete process.env.DN_RESULTS_FD;
let channel;
try {
  channel = fs.openSync(`/proc/self/fd/${inherited}`, 'w');
  fs.closeSync(inherited);
} catch (err) {
  process.stderr.write(`jest-parent: no results channel on fd ${inherited}: ${err.message}\n`);
  process.exit(70);
}

function send(doc) {
  const buf = Buffer.from(`${JSON.stringify(doc)}\n`);
  let off = 0;
  while (off < buf.length) off += fs.writeSync(channel, buf, off, buf.length - off);
}

send({ started: true });

// Dependency recording (the grader's dependency map, src/depmap/): jest's workers are forked with
// this process's execArgv, so the recorder is preloaded into every worker and never into this
// process. Each test file's record comes back on its result as `dnDeps`.
const recordDeps = process.env.DN_RECORD_DEPS === '1';
delete process.env.DN_RECORD_DEPS;
if (recordDeps) process.execArgv.push('--require', path.join(__dirname, 'dep-recorder.cjs'));

function collectDeps(cwd, testResults) {
  const deps = {};
  for (const r of testResults) {
    if (!r || typeof r.testFilePath !== 'string') continue;
    const rel = path.relative(cwd, r.testFilePath).split(path.sep).join('/');
    // a file whose result did not come from the recorded worker call (it failed to run) is unaccounted for
    deps[rel] = r.dnDeps || { read: [], listed: [], everything: 'no record from the worker' };
  }
  return deps;
}

async function main() {
  const cwd = process.cwd();
  // jest comes from the tree's node_modules, which the sandbox shows read-only.
  const jestPkg = require.resolve('jest/package.json', { paths: [cwd] });
  const fromJest = (id) => require(require.resolve(id, { paths: [path.dirname(jestPkg)] }));
  const { buildArgv } = fromJest('jest-cli');
  const { runCLI } = fromJest('@jest/core');
  const { formatTestResults } = fromJest('@jest/test-result');

  const argv = await buildArgv(process.argv.slice(2));
  // jest runs one file (or a few fast ones) in this process, where nothing records: a memory limit
  // is jest's one switch that always schedules workers; this one is never reached.
  if (recordDeps) argv.workerIdleMemoryLimit = Number.MAX_SAFE_INTEGER;
  const { results } = await runCLI(argv, [cwd]);
  if (recordDeps) send({ deps: collectDeps(cwd, results.testResults) });
  send({ results: formatTestResults(results) });
  fs.closeSync(channel);
  return results.success ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    try {
      send({ runError: String((err && err.stack) || err) });
    } catch {
      // the channel is gone: the grader sees no results
    }
    process.stderr.write(`${String((err && err.stack) || err)}\n`);
    process.exit(1);
  },
);
