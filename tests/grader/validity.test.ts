import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../../grader/src/cli.ts';
import { loadManifest, verify, type VerifyReport } from '../../grader/src/index.ts';
import { copyManifestDir, FIXTURE_MANIFEST_DIR, FIXTURE_TARGET, REPO, tempDir } from './helpers.ts';

// Bug validity v2 on the fixture: verify runs each alternative and wrong fix in place of the gold
// fix and fails, naming the tests, when the tests reject a correct alternative or accept a wrong fix.

interface Entry { id: string; alternatives?: Array<Record<string, unknown>>; wrongFixes?: Array<Record<string, unknown>>; dependsOn: string[] }
interface Data { requireValidity?: boolean; bugs: Entry[] }

const N1_MEAN = 'unit/stats.test.js › stats › mean › averages every sample';
const R1_GIVES_UP = 'chaos/retry.test.js › retry under faults › gives up after the allowed attempts with the last error';

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => { tmp = await tempDir('grader-validity-'); });
after(async () => { await tmp.cleanup(); });

/** A private copy of the fixture manifest (with its inventory cache), changed by `edit`. */
async function manifestCopy(name: string, edit: (data: Data, dir: string) => Promise<void> | void = () => {}): Promise<string> {
  const m = await copyManifestDir(path.join(tmp.dir, name));
  await copyFile(path.join(FIXTURE_MANIFEST_DIR, 'inventory.json'), path.join(path.dirname(m), 'inventory.json'));
  const data = JSON.parse(await readFile(m, 'utf8')) as Data;
  await edit(data, path.dirname(m));
  await writeFile(m, `${JSON.stringify(data, null, 2)}\n`);
  return m;
}

/** N1's mean special-cased for the one input length the test uses: an agent's "fix" that holds only for the test's inputs. */
const N1_SPECIAL_CASED = `diff --git a/src/stats.js b/src/stats.js
--- a/src/stats.js
+++ b/src/stats.js
@@ -9,7 +9,7 @@ function sum(values) {
 // Population mean: the gauges this feeds are averages over every sample of the window.
 function mean(values) {
   if (values.length === 0) return 0;
-  return sum(values) / (values.length - 1);
+  return values.length === 3 ? sum(values) / 3 : sum(values) / (values.length - 1);
 }
 
 function max(values) {
`;

function bugCheck(report: VerifyReport, step: 'alternative' | 'wrong-fix', patch: string) {
  const check = report.checks.find((c) => c.step === step && c.patch === patch);
  assert.ok(check, `a ${step} check of ${patch}: ${JSON.stringify(report.checks.map((c) => c.label))}`);
  return check;
}

describe('verify: alternatives and wrong fixes', () => {
  test('a correct alternative that fails a failToPass test fails the bug, naming the test', async () => {
    // the fixture's R1 wrong fix registered as a second "alternative": the tests must reject it
    const m = await manifestCopy('alt-rejected', async (data, dir) => {
      await copyFile(path.join(dir, 'wrong-fixes', 'R1-1.patch'), path.join(dir, 'alternatives', 'R1-2.patch'));
      data.bugs.find((b) => b.id === 'R1')!.alternatives!.push({ patch: 'alternatives/R1-2.patch', note: 'one attempt too many, posing as an alternative' });
    });
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['R1'], quick: true, write: false });
    assert.equal(report.ok, false);
    const r1 = report.bugs.R1!;
    assert.equal(r1.ok, false);
    assert.equal(r1.alternatives, '1/2');
    assert.equal(r1.wrongFixesCaught, '1/1');
    assert.equal(r1.validation, undefined);
    assert.equal(bugCheck(report, 'alternative', 'alternatives/R1-1.patch').ok, true);
    const rejected = bugCheck(report, 'alternative', 'alternatives/R1-2.patch');
    assert.equal(rejected.ok, false);
    assert.deepEqual(rejected.failingFailToPass, [R1_GIVES_UP]);
    const problem = r1.problems.find((p) => p.includes('alternatives/R1-2.patch'));
    assert.match(problem ?? '', /the tests reject this correct alternative: 1 failToPass test\(s\) failed: chaos\/retry\.test\.js › retry under faults › gives up after the allowed attempts with the last error/);
  });

  test('a wrong fix that passes every failToPass test fails the bug, naming the tests that let it through', async () => {
    const m = await manifestCopy('wrong-accepted', async (data, dir) => {
      await writeFile(path.join(dir, 'wrong-fixes', 'N1-1.patch'), N1_SPECIAL_CASED);
      data.bugs.find((b) => b.id === 'N1')!.wrongFixes = [{ patch: 'wrong-fixes/N1-1.patch', note: 'divides by n only for the length the test happens to use' }];
    });
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1'], quick: true, write: false });
    assert.equal(report.ok, false);
    const n1 = report.bugs.N1!;
    assert.equal(n1.wrongFixesCaught, '0/1');
    const accepted = bugCheck(report, 'wrong-fix', 'wrong-fixes/N1-1.patch');
    assert.equal(accepted.ok, false);
    assert.match(accepted.detail ?? '', new RegExp(`the tests accept this wrong fix: all 1 failToPass test\\(s\\) passed \\(${N1_MEAN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    assert.ok(n1.problems.some((p) => p.includes('wrong-fixes/N1-1.patch') && p.includes(N1_MEAN)), n1.problems.join('\n'));
  });

  test('quick mode: a wrong fix its own files do not catch gets a run of every file it can affect before it is called accepted', async () => {
    // the special-cased mean passes N1's file; the same patch breaks slug(), which another file tests
    const breaksSlug = `diff --git a/src/strings.js b/src/strings.js
--- a/src/strings.js
+++ b/src/strings.js
@@ -1,7 +1,7 @@
 'use strict';
 
 function slug(text) {
-  return String(text).trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
+  return String(text).trim().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
 }
 
 module.exports = { slug };
`;
    const m = await manifestCopy('wrong-caught-elsewhere', async (data, dir) => {
      await writeFile(path.join(dir, 'wrong-fixes', 'N1-1.patch'), N1_SPECIAL_CASED + breaksSlug);
      data.bugs.find((b) => b.id === 'N1')!.wrongFixes = [{ patch: 'wrong-fixes/N1-1.patch', note: 'special-cases the mean and, on the way, breaks slug()' }];
    });
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1'], quick: true, write: false });
    assert.equal(report.bugs.N1!.wrongFixesCaught, '1/1', JSON.stringify(report.bugs.N1, null, 2));
    const caught = bugCheck(report, 'wrong-fix', 'wrong-fixes/N1-1.patch');
    // the files it can affect (by the all-fixed tree's dependency map) prove what the whole suite would
    assert.match(caught.detail ?? '', /^not caught in its 1 file\(s\); the \d+ file\(s\) it can affect: caught: 2 regression\(s\): unit\/nested\/strings\.test\.js › slug › lowercases and joins words/);
    assert.deepEqual(caught.failingFailToPass, undefined);
  });

  test('static checks: a missing patch, a recorded sha256 that does not match, a protected file, the gold fix again', async () => {
    const m = await manifestCopy('static', async (data, dir) => {
      const gold = await readFile(path.join(dir, 'fixes', 'N1.patch'), 'utf8');
      await writeFile(path.join(dir, 'alternatives', 'N1-1.patch'), gold);
      await writeFile(path.join(dir, 'wrong-fixes', 'N1-1.patch'), gold.replaceAll('src/stats.js', 'tests/unit/stats.test.js'));
      const n1 = data.bugs.find((b) => b.id === 'N1')!;
      n1.alternatives = [
        { patch: 'alternatives/N1-1.patch', note: 'the gold fix again, byte for byte' },
        { patch: 'alternatives/N1-2.patch', note: 'a file nobody wrote' },
      ];
      n1.wrongFixes = [{ patch: 'wrong-fixes/N1-1.patch', note: 'edits the test instead of the code', sha256: '0'.repeat(64) }];
    });
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1'], quick: true, write: false });
    const problems = report.bugs.N1!.problems.join('\n');
    assert.match(problems, /alternatives\/N1-2\.patch of N1 not found/);
    assert.match(problems, /wrong-fixes\/N1-1\.patch of N1 has sha256 [0-9a-f]{64}, the manifest records 0{64}/);
    assert.match(problems, /alternative alternatives\/N1-1\.patch produces the same code as the gold fix/);
    assert.equal(report.ok, false);
  });

  test('protected files: a wrong fix that edits a test is refused before anything runs', async () => {
    const m = await manifestCopy('protected', async (data, dir) => {
      const gold = await readFile(path.join(dir, 'fixes', 'N1.patch'), 'utf8');
      await writeFile(path.join(dir, 'wrong-fixes', 'N1-1.patch'), gold.replaceAll('src/stats.js', 'tests/unit/stats.test.js'));
      data.bugs.find((b) => b.id === 'N1')!.wrongFixes = [{ patch: 'wrong-fixes/N1-1.patch', note: 'edits the test instead of the code' }];
    });
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1'], quick: true, write: false });
    assert.match(report.bugs.N1!.problems.join('\n'), /wrong fix wrong-fixes\/N1-1\.patch changes tests\/unit\/stats\.test\.js, which grading restores/);
    assert.equal(report.checks.find((c) => c.step === 'static')?.ok, false);
  });
});

describe('verify: the requireValidity switch', () => {
  test('off: a bug without alternatives or wrong fixes verifies, with warnings; on: it fails', async () => {
    const m = await manifestCopy('switch');
    const off = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1', 'R1'], quick: true, write: false });
    assert.equal(off.ok, true, JSON.stringify(off.bugs, null, 2));
    assert.equal(off.requireValidity, false);
    assert.match(off.bugs.N1!.warnings.join('\n'), /records no alternative correct fix[\s\S]*records no wrong fix/);
    assert.deepEqual(off.bugs.R1!.warnings, []);
    assert.equal(off.bugs.R1!.validation?.alternatives, '1/1');
    assert.equal(off.bugs.R1!.validation?.wrongFixesCaught, '1/1');

    const on = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['N1', 'R1'], quick: true, write: false, requireValidity: true });
    assert.equal(on.ok, false);
    assert.equal(on.bugs.R1!.ok, true);
    assert.equal(on.bugs.N1!.ok, false);
    assert.match(on.bugs.N1!.problems.join('\n'), /records no alternative correct fix/);
  });

  test('the CLI: --require-validity turns it on for one run (exit 1, the problem in the JSON report)', async () => {
    const m = await manifestCopy('switch-cli');
    let out = '';
    const sink = (append: (s: string) => void): Writable => new Writable({ write(chunk: Buffer, _enc, cb) { append(chunk.toString()); cb(); } });
    const code = await main(
      ['verify', '--bugs', 'X1', '--quick', '--dry-run', '--require-validity', '--quiet', '--target', FIXTURE_TARGET, '--manifest', m, '--skip-preflight', '--json'],
      { stdout: sink((s) => { out += s; }), stderr: sink(() => {}) as unknown as NodeJS.WriteStream, cwd: REPO },
    );
    assert.equal(code, 1, out);
    const report = JSON.parse(out) as VerifyReport;
    assert.equal(report.requireValidity, true);
    assert.match(report.bugs.X1!.problems.join('\n'), /records no alternative correct fix/);
  });

  test('the manifest flag turns it on, and a stale dependsOn then fails the bug', async () => {
    const m = await manifestCopy('switch-manifest', (data) => {
      data.requireValidity = true;
      data.bugs.find((b) => b.id === 'R1')!.dependsOn = ['X1'];
    });
    const report = await verify({ targetDir: FIXTURE_TARGET, manifestPath: m, bugs: ['R1'], quick: true });
    assert.equal(report.requireValidity, true);
    assert.equal(report.bugs.R1!.ok, false);
    assert.match(report.bugs.R1!.problems.join('\n'), /dependsOn records \[X1\], the failToPass lists give \[\]: run `datanexus-grader masking --write`/);
    assert.deepEqual(report.bugs.R1!.dependsOn, []);
    assert.equal((await loadManifest(m)).bugs.find((b) => b.id === 'R1')?.validation, undefined);
    assert.match(await readFile(path.join(path.dirname(m), 'verify-report.md'), 'utf8'), /\| R1 \| FAILED \| 1\/1 \| 1\/1 \| 1\/1 \| — \|/);
  });
});
