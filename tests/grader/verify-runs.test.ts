import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { processRunner, verify, type CommandRunner } from '../../grader/src/index.ts';
import { loadManifest } from '../../grader/src/manifest.ts';
import { testPathOf } from '../../grader/src/results.ts';
import { copyManifestDir, copyTarget, tempDir } from './helpers.ts';

// What each of verify's k runs runs (grader/src/verify/runs.ts, docs/bug-validity.md "What k runs
// prove"): run 1 of a bug's or an alternative's tree runs every file its patches can affect, runs
// 2..k the files holding its failToPass tests, and a wrong fix caught in those files runs nothing
// more. Real jest runs on the fixture; a wrapper of the real runner writes down the files of each run.

interface Call {
  /** The tree's scratch directory name (`0007-only-R1`, `0009-wrong-fix-R1`). */
  tree: string;
  /** The test files jest was given (none: the whole suite). */
  files: string[];
}

function recording(): { runner: CommandRunner; calls: Call[] } {
  const real = processRunner();
  const calls: Call[] = [];
  const runner: CommandRunner = (cmd, args, opts) => {
    const at = args.indexOf('--runTestsByPath');
    const files = at < 0 ? [] : args.slice(at + 1).filter((a) => a.startsWith('tests/'));
    calls.push({ tree: path.basename(opts.cwd ?? ''), files: [...files].sort() });
    return real(cmd, args, opts);
  };
  return { runner, calls };
}

describe('verify: what each of the k runs runs', () => {
  test('run 1 is judged on the affected files, later runs on the failToPass files; a caught wrong fix runs only those', async () => {
    const tmp = await tempDir('verify-runs-');
    try {
      const manifestPath = await copyManifestDir(tmp.dir);
      const manifest = await loadManifest(manifestPath);
      const bug = manifest.bugs.find((b) => b.id === 'R1');
      assert.ok(bug?.wrongFixes?.length && bug.alternatives?.length, 'R1 has an alternative and a wrong fix');
      // a second file that loads R1's module and passes either way: R1's patches can affect it, so
      // its affected selection is wider than its failToPass files
      const targetDir = await copyTarget(tmp.dir);
      await writeFile(path.join(targetDir, 'tests/unit/retry-shape.test.js'), "'use strict';\nconst { retry } = require('../../src/retry');\n\ntest('retry is a function of two arguments', () => {\n  expect(retry.length).toBe(2);\n});\n");
      const own = [...new Set(bug.failToPass.map(testPathOf))].sort();
      const { runner, calls } = recording();
      const report = await verify({ targetDir, manifestPath, bugs: [bug.id], repeat: 2, runner, write: false });
      assert.equal(report.ok, true, JSON.stringify(report.bugs[bug.id]?.problems));

      const bugRuns = calls.filter((c) => c.tree.endsWith(`-only-${bug.id}`));
      assert.equal(bugRuns.length, 2);
      // run 1: the affected selection, which holds more than the bug's own files (or the whole suite)
      assert.deepEqual(bugRuns[0]!.files, [...own, 'tests/unit/retry-shape.test.js'].sort(), 'run 1 runs the affected files');
      assert.deepEqual(bugRuns[1]!.files, own, 'run 2 runs the failToPass files');

      const altRuns = calls.filter((c) => c.tree.endsWith(`-alternative-${bug.id}`));
      assert.equal(altRuns.length, 2 * bug.alternatives!.length);
      assert.deepEqual(altRuns[0]!.files, bugRuns[0]!.files, 'an alternative\'s run 1 runs the affected files');
      assert.deepEqual(altRuns[1]!.files, own);

      const wrongRuns = calls.filter((c) => c.tree.endsWith(`-wrong-fix-${bug.id}`));
      const caughtHere = report.checks.filter((c) => c.step === 'wrong-fix' && !(c.detail ?? '').startsWith('not caught in its'));
      assert.ok(caughtHere.length > 0, 'some wrong fix is caught in its own files');
      // one run per caught check, two for one that had to look wider
      assert.equal(wrongRuns.length, 2 * bug.wrongFixes!.length + (2 * bug.wrongFixes!.length - caughtHere.length));
      for (const c of wrongRuns.filter((r) => r.files.length <= own.length)) assert.deepEqual(c.files, own);
    } finally {
      await tmp.cleanup();
    }
  });
});
